"""Agent commands: ``service`` checks and decides, ``actions`` speaks AMI."""

from cti.commands.actions import Actions
from cti.commands.service import REASONS, AgentCommands, CommandResult

__all__ = ["REASONS", "Actions", "AgentCommands", "CommandResult"]
