import Copilot

GetRecentTickets.main(GetRecentTickets())
