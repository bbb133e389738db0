import Copilot

GetContractInfo.main(GetContractInfo())
