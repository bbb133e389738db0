import Copilot

GenerateQBROutline.main(GenerateQBROutline())
