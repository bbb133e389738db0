import Middleware

GetRecentTickets.main(GetRecentTickets())
