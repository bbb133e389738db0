import Testing

@testable import Intent

@Suite struct PersonalDataTests {
    @Test(arguments: [
        "email", "EMAIL", "e-mail", "e_mail", "workEmail", "emailAddress", "phone", "mobilePhone", "phone_number", "personal",
        "personalNotes", "PERSONAL_id", "name", "Name", "firstName", "first_name", "FIRST-NAME", "lastName", "last_name",
    ])
    func personalFieldNames(_ name: String) {
        #expect(PersonalData.isPersonalFieldName(name))
    }

    @Test(arguments: [
        "", "query", "industry", "companyName", "username", "names", "impersonal", "mail", "telephony", "fullname", "e.mail",
        "émail",
    ])
    func otherFieldNames(_ name: String) {
        #expect(!PersonalData.isPersonalFieldName(name))
    }

    @Test(arguments: [
        "bob@gmail.com", "Bob@GMAIL.COM", "write to bob@yahoo.com today", "bob@gmail.com.", "x@proton.me", "a@b@gmail.com",
        "first.last+tag@outlook.com", "me@163.com", "sales@acme.example, bob@gmx.de",
    ])
    func consumerAddresses(_ text: String) {
        #expect(PersonalData.containsConsumerEmail(text))
    }

    @Test(arguments: [
        "", "gmail.com", "@gmail.com", " @gmail.com", "bob@gmail.company", "bob@sub.gmail.com", "bob@acme.com", "bob at gmail.com",
        "bob@ gmail.com", "bob@gmail_com", "bob@gmаil.com", // the last one with a Cyrillic а
    ])
    func notConsumerAddresses(_ text: String) {
        #expect(!PersonalData.containsConsumerEmail(text))
    }
}
