import Copilot

GetCustomerUsage.main(GetCustomerUsage())
