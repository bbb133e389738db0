import Middleware

CalculateHealth.main(CalculateHealth())
