import Middleware

GenerateQBROutline.main(GenerateQBROutline())
