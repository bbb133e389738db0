import Copilot

GenerateEmail.main(GenerateEmail())
