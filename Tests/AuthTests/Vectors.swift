// Generated once by a Python `cryptography` script (keys made fresh at generation time, then fixed here).
// Do not edit by hand: the signatures cover these exact bytes.

/// Fixed keys and tokens signed outside Swift; `now` is 1700000000.
enum Vectors {
    static let now: Int64 = 1700000000
    static let jwks =
        #"{"keys":[{"kty":"RSA","kid":"rsa-a","n":"0g8jr0uBwFtyuiY4oKO1oUy1ds-jIKsDe8xUNohvWQbnVKX4ai6k9kiHY_b"# +
        #"5YnckKXzzYldFtyPj9NSyb_1mC92jMRPurbsmxz88KkLZviv31jQnH60gtt8qDyqzDr6NDq1qMXmLM8cyLeX7gg-FaGpUN_mF9fi"# +
        #"AUKemMfNkkE7N7XQaeVyCEtTIb2BeMVwPshDuKmWuWS6RWrL0Pd4Sryso-8rjAjaHYcGks4Gj_j10T-W_KdvjjKQmoxYeFLvAZe4"# +
        #"Qz8HVWK3bNvxgO7dwk3MsdIyxWk_bERbpZeT1eY8kl3-YAmkU722RlrUkjYBRSvPDfGER6RpqtCy_hhgrnQ","e":"AQAB","alg"# +
        #"":"RS256","use":"sig"},{"kty":"EC","crv":"P-256","kid":"ec-1","x":"EaWiFbeWElQ6ZtiOY46Jxs_uUtrTi_laX"# +
        #"fCQ5j5lgCQ","y":"q0MSWrYg3Id6o4O-1u7gxw8lJiM1dKOTG8zS7QQ3fus","alg":"ES256","use":"sig"},{"kty":"oct"# +
        #"","kid":"oct-1","k":"YW4taG1hYy1rZXktdGhhdC1tdXN0LW5ldmVyLWJlLXVzZWQhIQ"},{"kty":"RSA","kid":"rsa-en"# +
        #"c","n":"o7iuMHObhJwQir8K53wNCNm6AcQcQx-KvkriIaYdPQaSr0QSc9b-1UCWL4728pEUIlCyam-0ijEnKzWB_4yhMvR29Bo5"# +
        #"tdb9xKudmWhCX2sV6_B97V9dmLkPpUMKvr07vBhmcHB7oYhhrMaxpE57hyX2AK3PD_bgFzMA6ZdrxGRbv1d63GLYUqUhW2nZ1kb9"# +
        #"75gN3dnSmBmjGUzUoiPJGT_zrfyx2MO8qvlzJYJWqFYpYN2oGq22VY1cHAkQFX3W2Y0P3APuVJWe4sHPCNdqmMMXRNEXD0IYSeOh"# +
        #"Rcq5IhTlFFtPqy_9viMWIUmP7t9INeq42x2v5egAgiHGu4_l8Q","e":"AQAB","use":"enc"},{"kty":"RSA","kid":"rsa-"# +
        #"weak","n":"5NlHm55wCKJBTjxsb-Odf5JIN3kEvaDrtQQO0H0tgNJHsKbo5JP9F5iOcF6bDoeIs11K6lbaKIav9xBn7080nfdBZ"# +
        #"Q3oYp71jvcrXOliSsBUYTdYrJElgiUiC3-YPz7sr-oxwuEHgjJHoUdJulTGeZGsTSTgLYBb9DgHGLxmFIM","e":"AQAB","alg""# +
        #":"RS256"},{"kty":"EC","crv":"P-384","kid":"ec-384","x":"bopzCnC6zCsxnEsdI2Fy8-aIgIuHEz0hMiSS9I81yJdW"# +
        #"6JtiPZ1fKh8im5ITzRsV","y":"scX961m_3doS9MIO8_zljLGVP22g1BzmwPQRMam_IBONk3vnF1fItmFR_U21POYc"}]}"#
    static let rsaAModulus =
        #"0g8jr0uBwFtyuiY4oKO1oUy1ds-jIKsDe8xUNohvWQbnVKX4ai6k9kiHY_b5YnckKXzzYldFtyPj9NSyb_1mC92jMRPurbsmxz88"# +
        #"KkLZviv31jQnH60gtt8qDyqzDr6NDq1qMXmLM8cyLeX7gg-FaGpUN_mF9fiAUKemMfNkkE7N7XQaeVyCEtTIb2BeMVwPshDuKmWu"# +
        #"WS6RWrL0Pd4Sryso-8rjAjaHYcGks4Gj_j10T-W_KdvjjKQmoxYeFLvAZe4Qz8HVWK3bNvxgO7dwk3MsdIyxWk_bERbpZeT1eY8k"# +
        #"l3-YAmkU722RlrUkjYBRSvPDfGER6RpqtCy_hhgrnQ"#
    static let rsaAPublicPEM =
        "-----BEGIN PUBLIC KEY-----\n" +
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0g8jr0uBwFtyuiY4oKO1\n" +
        "oUy1ds+jIKsDe8xUNohvWQbnVKX4ai6k9kiHY/b5YnckKXzzYldFtyPj9NSyb/1m\n" +
        "C92jMRPurbsmxz88KkLZviv31jQnH60gtt8qDyqzDr6NDq1qMXmLM8cyLeX7gg+F\n" +
        "aGpUN/mF9fiAUKemMfNkkE7N7XQaeVyCEtTIb2BeMVwPshDuKmWuWS6RWrL0Pd4S\n" +
        "ryso+8rjAjaHYcGks4Gj/j10T+W/KdvjjKQmoxYeFLvAZe4Qz8HVWK3bNvxgO7dw\n" +
        "k3MsdIyxWk/bERbpZeT1eY8kl3+YAmkU722RlrUkjYBRSvPDfGER6RpqtCy/hhgr\n" +
        "nQIDAQAB\n" +
        "-----END PUBLIC KEY-----\n"
    static let rsaWeakJWK =
        #"{"kty":"RSA","kid":"rsa-weak","n":"5NlHm55wCKJBTjxsb-Odf5JIN3kEvaDrtQQO0H0tgNJHsKbo5JP9F5iOcF6bDoeIs"# +
        #"11K6lbaKIav9xBn7080nfdBZQ3oYp71jvcrXOliSsBUYTdYrJElgiUiC3-YPz7sr-oxwuEHgjJHoUdJulTGeZGsTSTgLYBb9DgHG"# +
        #"LxmFIM","e":"AQAB","alg":"RS256"}"#
    static let ecX =
        #"EaWiFbeWElQ6ZtiOY46Jxs_uUtrTi_laXfCQ5j5lgCQ"#
    static let ecY =
        #"q0MSWrYg3Id6o4O-1u7gxw8lJiM1dKOTG8zS7QQ3fus"#
    static let hs256Python =
        #"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8vcHJvai5zdXBhYmFzZS5"# +
        #"jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5OTk5OTQwLCJyb2xlIjo"# +
        #"iYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.Guk0G2EscSvTnPYIxrY0d0776oec95TlE_rrZ7Cp"# +
        #"KTk"#
    static let rs256Valid =
        #"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS1hIn0.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8v"# +
        #"cHJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5"# +
        #"OTk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.ER05Wtg01x2LAedXrXJQg"# +
        #"jpzeBBrxyUZs4q05IWTOaD94znXZhZxdDFtHAtBdKDGyEePiANlprpIwDZq9vsidqjoUNZmcn15Bn_wjl-h2eJ6bh3hNJMnks3Um"# +
        #"TvVsDx5rKaVnyR6DwWgSsTpjzznia9Z2AlTO3fr5m3Ncjju_UYVFOBKMNUfTxQCa2vGfq9_M-mJHgr4k4zh3D_WyoPDE5mGO0yJ4"# +
        #"3L2c7SvHbj2Ha18JEQX8xt1qR-kF7u2LbS9vU8ikSfmr6LAM65oke1WCIs9GG1i2ixxAJdNtWOdt8bLQ5W1GJP2s9fsybJ0zs5h7"# +
        #"yl-PPIJ-NtM96KidAGXjQ"#
    static let rs256NoKid =
        #"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8vcHJvai5zdXBhYmFzZS5"# +
        #"jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5OTk5OTQwLCJyb2xlIjo"# +
        #"iYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.Y-JkxmT9sJwrkb2PbJmWUZZSqMnlsIKcIsvll_AW"# +
        #"eIQ6YmgRkSnnk2dXp0Vglykx8pte4zVQ4_dQV5cRlLG_ZJsskjQT4rRbdebtw7DT_uzw5O6EtYbcy-5Ch1hirztnjwL2OpUKprIo"# +
        #"GsRtmJ20mjMi4JSXX45sGcUE0zErTxa2Addg3XPrGfKiMBuIJPb3gm5osGH0cydOUtCncgB0JidFiYC5X_EXAfDF4iwytdUJXTY9"# +
        #"mfjcaSNZ6TS5XFuJaQuAnRUwkcyv_LzcevfrCleKZHnlNQ1nkVQyYSWMBKNyl7mbUVlrkJcWzeKMZ7HizCHinBU-cOJofwKIMg8-"# +
        #"Rg"#
    static let rs256OtherKey =
        #"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS1hIn0.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8v"# +
        #"cHJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5"# +
        #"OTk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.Kmv155Ajgt_2revNOV_fU"# +
        #"H1HUNbLjlL2AyRrU8xxEnSWgUhbjf5rHOfrhGvd_ywRc6fNFbylBiUmIOsbZJOR8CYRy5WITHw9FgbmA2XnOU9DK39fWae7GNI1L"# +
        #"llN6RcvBbg6x_O4kYFSkTkb8CfE3T_vYHmOdzWj2DnTFr-3ckl8Z_ZYV2OgztA4dUDrZHPeX0tsLP0VnqeHwmBqCubn3lp7cxLQy"# +
        #"OvcCtTytZH2y9BtrjCAHfuECQjqJ_ghIuKnIFnMQuqLSyvudsg4g1kIrlExFc_bLrhBTQNYlopXUmrz7RVUmSt6_kxoxheRWYo3e"# +
        #"uJy5hzVGmf_bPkPbh6T4w"#
    static let rs256Weak =
        #"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS13ZWFrIn0.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBz"# +
        #"Oi8vcHJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0Ijox"# +
        #"Njk5OTk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.AyLbW9T4bVr3KwnTW"# +
        #"AvR2Q31jxhOC1-wmdIeCDqQjlPaqaUijkezX-p75zcKDM4LQaaqFwIJq-5Wyf3XHEg_HRlW3u9ya7ncSRu6PmLpnI9STMeAo26Ej"# +
        #"7tRERFMmlVloOPrXHwYIfXHVqpHIODtiep_oTqUjwVDRflii1mcUvs"#
    static let rs256EmbeddedJWK =
        #"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImp3ayI6eyJrdHkiOiJSU0EiLCJraWQiOiJyc2EtYiIsIm4iOiJvN2l1TUhPYmhK"# +
        #"d1FpcjhLNTN3TkNObTZBY1FjUXgtS3ZrcmlJYVlkUFFhU3IwUVNjOWItMVVDV0w0NzI4cEVVSWxDeWFtLTBpakVuS3pXQl80eWhN"# +
        #"dlIyOUJvNXRkYjl4S3VkbVdoQ1gyc1Y2X0I5N1Y5ZG1Ma1BwVU1LdnIwN3ZCaG1jSEI3b1loaHJNYXhwRTU3aHlYMkFLM1BEX2Jn"# +
        #"RnpNQTZaZHJ4R1JidjFkNjNHTFlVcVVoVzJuWjFrYjk3NWdOM2RuU21CbWpHVXpVb2lQSkdUX3pyZnl4Mk1POHF2bHpKWUpXcUZZ"# +
        #"cFlOMm9HcTIyVlkxY0hBa1FGWDNXMlkwUDNBUHVWSldlNHNIUENOZHFtTU1YUk5FWEQwSVlTZU9oUmNxNUloVGxGRnRQcXlfOXZp"# +
        #"TVdJVW1QN3Q5SU5lcTQyeDJ2NWVnQWdpSEd1NF9sOFEiLCJlIjoiQVFBQiJ9fQ.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0d"# +
        #"HBzOi8vcHJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0I"# +
        #"joxNjk5OTk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.G_FNMuV-SszWfs"# +
        #"J_s_GTKF-f8l7ABRa73w530FC3sxR2SOUWUwA5ZX4M_ci-MjhVgJVom4oy-a7LeRxUEsEnp_icQ6KoHoSyV11nMgH2_0HzIcDSG9"# +
        #"VuOntCbYqtvyDDz_hKql0avdClC4z9ayDg0dORACy_zDEDhbd6CLkW_s33QGnP0Epms5HedrQbNcrTkWv2IjyuD5djWZ7Wn_PKvn"# +
        #"en0LDoH9wt43jiEx0745mHCeicdkwHwKf5HxBsE84u-5gcoyd26eS9dTnkLW0dRnnkhjZXctkJRQQTV3CRCRDNewJnL15ql_ZNa4"# +
        #"lRSB338s4CnjXJD29g7auwH52fbA"#
    static let es256Valid =
        #"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVjLTEifQ.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8vc"# +
        #"HJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5O"# +
        #"Tk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.IszbEIhQAmmrQsuOE88wD5"# +
        #"cqvHjBjsfAZly9NDNhUWjFNAJCxnQGdJ9ti1bin4x-R0QevzXI9s9u_dBrybpRow"#
    static let es256DER =
        #"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVjLTEifQ.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8vc"# +
        #"HJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5O"# +
        #"Tk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.MEUCIQDtzCVNBNZ36SzgoZ"# +
        #"SssoNJ6LY1VXU8qqaAYbrg276APAIgUUVwZfGzmeHlrSTG5OidGtSoE6SocI8z2KXHGxrmZag"#
}
