"""QA: an empty survey ({"answers": {}}) of a 信息咨询 order was stored as satisfied and the
满意度回访结果 report counted it (50 % where the true rate was 0 %). No new one is stored now
(``survey_not_surveyed``); one stored before says nothing, so the report does not count it."""

from tests.ticketing.test_surveys_and_reports import at
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step
from ticketing import create_order
from ticketing.models import SurveyResult
from ticketing.reports import satisfaction
from ticketing.surveys import record_survey


async def test_a_survey_without_answers_is_not_counted(session, seeded):
    leader = seeded.users["2001"]
    consult = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        now=at(24, 9),
        form={"咨询内容": "峰谷电价何时执行", "答复内容": "每日 8 点起为峰时"},
    )
    # stored by the release before (answers {}, satisfied by default)
    session.add(SurveyResult(order_id=consult.id, user_id=leader.id, answers={}, satisfied=True, remark=""))
    fault = await at_visit_step(session, seeded, at(24, 10))
    await record_survey(session, leader, fault, UNHAPPY)
    await session.flush()
    report = await satisfaction(session)
    assert (report["total"], report["satisfied"], report["rate"]) == (1, 0, 0.0)
