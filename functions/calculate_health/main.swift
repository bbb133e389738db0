import Copilot

CalculateHealth.main(CalculateHealth())
