// Placeholder until the JWT verifier lands.
