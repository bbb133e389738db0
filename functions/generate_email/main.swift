import Middleware

GenerateEmail.main(GenerateEmail())
