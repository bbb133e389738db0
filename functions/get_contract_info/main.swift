import Middleware

GetContractInfo.main(GetContractInfo())
