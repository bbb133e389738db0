import Middleware

GetCustomerUsage.main(GetCustomerUsage())
