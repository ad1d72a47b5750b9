// Package apikey stores the signer's optional API keys: long-lived
// credentials that a user creates (and revokes) with a bearer token and that
// scripts then send in the DINAMIS headers access-key and secret-key instead
// of an OpenID Connect token.
//
// A key has two parts. The access key ("eak_" and 32 hex digits, 128 random
// bits) names it and may appear in logs and listings. The secret ("eks_" and
// 43 base64url characters, 256 random bits from crypto/rand) is returned once,
// by Create, and never stored: the store keeps its SHA-256 digest and compares
// digests in constant time (crypto/subtle). A fast hash is the right tool
// here: bcrypt, scrypt or Argon2 make guessing a low-entropy password
// expensive, but a 256-bit random secret cannot be guessed however fast the
// hash, while a slow hash would cost CPU on every signing request and hand an
// attacker a cheap way to load the signer. An unknown access key is compared
// against a dummy digest, so a wrong secret and an unknown key take the same
// path and return the same ErrInvalid; expired keys return ErrInvalid too.
//
// Each key records its owner (issuer and subject of the token that created
// it) and a snapshot of that token's claims (without the per-token ones: exp,
// iat, nbf, jti, nonce, …), so that the signer's static policy can judge a
// request made with the key as it would judge the owner's token. The snapshot
// is not refreshed: a user removed from a group at the identity provider keeps
// that group in existing keys until they expire or are revoked, which is why
// every key expires (Options.MaxLifetime, default 90 days) and a user holds at
// most Options.MaxPerOwner live keys (default 20). Descriptions are at most
// MaxDescription characters, without control characters.
//
// FileStore, the implementation, is a single JSON file read into memory at
// Open and rewritten atomically on every change (a temporary file in the same
// directory, mode 0600, fsync, rename, fsync of the directory): API keys are
// few and rarely change, and a JSON file needs no dependency, can be backed
// up and inspected with jq, and holds nothing secret (digests only; the
// claims snapshots are personal data, hence 0600). Lookups never touch the
// disk. A failed write leaves both the file and the memory unchanged. An
// advisory lock (flock on "<file>.lock", on Unix) stops a second process from
// opening the same file, since two writers would overwrite each other's keys;
// several signer replicas need a shared implementation of Store (none is
// provided yet).
package apikey
