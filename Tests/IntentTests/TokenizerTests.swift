import Testing

@testable import Intent

@Suite struct TokenizerTests {
    @Test func lowerCasesRunsOfASCIILettersAndDigits() {
        #expect(Tokenizer.terms("Hello, World!") == ["hello", "world"])
        #expect(Tokenizer.terms("API v2 launched 2024") == ["api", "v2", "launched", "2024"])
        #expect(Tokenizer.terms("CamelCase MIXED") == ["camelcase", "mixed"])
    }

    @Test func keepsDuplicatesAndOrder() {
        #expect(Tokenizer.terms("budget Budget BUDGET cut budget") == ["budget", "budget", "budget", "cut", "budget"])
    }

    @Test func keepsStopWords() {
        // No stop-word list: every run counts (BM25's idf is what discounts common words).
        #expect(Tokenizer.terms("the and of a") == ["the", "and", "of", "a"])
    }

    @Test func punctuationUnderscoresAndHyphensSeparate() {
        #expect(Tokenizer.terms("e-mail_address.v1/x\ty\nz") == ["e", "mail", "address", "v1", "x", "y", "z"])
    }

    @Test func nonASCIIBytesSeparateAndAreNeverFolded() {
        // Every byte of a non-ASCII scalar separates terms, as the SQL trigger of migration 9 does.
        #expect(Tokenizer.terms("Café Zürich naïve") == ["caf", "z", "rich", "na", "ve"])
        #expect(Tokenizer.terms("東京2024年") == ["2024"])
        #expect(Tokenizer.terms("ＡＢＣ ＩＮＣ") == []) // full-width letters are not ASCII
        #expect(Tokenizer.terms("go🚀team") == ["go", "team"])
        // A combining accent after an ASCII letter splits the word; the precomposed form does too.
        #expect(Tokenizer.terms("cafe\u{301}s") == ["cafe", "s"])
        #expect(Tokenizer.terms("caf\u{E9}s") == ["caf", "s"])
    }

    @Test(arguments: ["", " ", "...", "!!! ---", "é", "\u{0}\u{7F}"])
    func textWithoutTermsGivesNone(_ text: String) {
        #expect(Tokenizer.terms(text).isEmpty)
    }
}
