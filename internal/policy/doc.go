// Package policy decides, in the signer's static mode, whether an
// authenticated caller may have a URL presigned.
//
// A policy is a list of allow rules; anything no rule allows is denied. A
// rule matches the caller's token claims (every listed claim must have a
// value matching one of the rule's glob patterns) and allows methods (GET,
// HEAD, PUT) on "bucket/key" patterns, where '*' matches any run of
// characters (slashes included), '?' one character, and ${jwt:<claim>}
// stands for the value of a claim (each value of a list claim such as
// groups), inserted literally so a claim can never widen a pattern. A rule
// whose variable names a missing claim matches nothing.
//
// Load and Parse report every problem of a policy at once, one error each
// (errors.Join) with its line, and the file's name for Load: a YAML problem
// where it is (internal/yamlerr), a rule's problem at the rule. An empty
// policy is one problem without a line ("file: the file is empty"), and a
// file Load cannot read is the bare *fs.PathError of reading it.
//
// Neighbours: internal/auth supplies the claims; internal/signer asks
// Allowed before internal/presign signs. In sts mode the storage applies its
// own policies and this package is not used.
package policy
