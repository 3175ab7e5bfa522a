"""IVR: the FastAGI server, the routing script and 95598-style self-service menus.

Composition root::

    routing = cti.routing_config.load_routing("deploy/routing.yaml", calendar=work_calendar)
    flows = ivr.load_flows("deploy/ivr.yaml", queues=routing.queues)
    services = ivr.IvrServices(routing=routing, flows=flows, bus=bus,
                               profile_lookup=ticketing_profile_lookup,
                               hooks=ivr.SelfServiceHooks(outage_lookup=..., bill_lookup=..., ticket_status=...),
                               store=recordings.RecordingStore(settings.asterisk_root))
    server = ivr.create_agi_server(services)        # 127.0.0.1:4573
    await server.start() ... await server.stop()
"""

from ivr.agi import AgiError, AgiHangup
from ivr.callback import CallbackScript
from ivr.events import CallbackRequested, IvrFinished, SurveyAnswered
from ivr.flows import IvrConfig, IvrConfigError, load_flows, parse_flows
from ivr.route import IvrServices, RouteScript
from ivr.selfservice import Bill, Outage, SelfServiceHooks, TicketProgress
from ivr.server import DEFAULT_HOST, DEFAULT_PORT, AgiServer
from ivr.session import AgiSession
from ivr.survey import SurveyScript


def create_agi_server(services: IvrServices, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> AgiServer:
    """The FastAGI server with the scripts the dialplan calls (``route``, ``callback``, ``survey``)."""
    scripts = {
        "route": RouteScript(services),
        "callback": CallbackScript(services),
        "survey": SurveyScript(services),
    }
    return AgiServer(scripts, host=host, port=port)


__all__ = [
    "AgiError",
    "AgiHangup",
    "AgiServer",
    "AgiSession",
    "Bill",
    "CallbackRequested",
    "CallbackScript",
    "IvrConfig",
    "IvrConfigError",
    "IvrFinished",
    "IvrServices",
    "Outage",
    "RouteScript",
    "SelfServiceHooks",
    "SurveyAnswered",
    "SurveyScript",
    "TicketProgress",
    "create_agi_server",
    "load_flows",
    "parse_flows",
]
