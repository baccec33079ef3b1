// bench/tokens-sign.js -- mint the JWS tokens of bench/tokens.sh with node's built-in crypto
// (no npm packages).
//
//   node bench/tokens-sign.js HS256-SECRET RSA-PRIVATE-PEM EC-P256-PRIVATE-PEM
//
// Prints three lines, "ALG VALID TAMPERED", for HS256, RS256 and ES256. Claims: sub, iat and
// exp = now + 1 day, the same in all three. The header carries alg, typ and a "pad" string
// sized so that the three tokens have the same length: the benchmark's request bodies then
// differ only in the token's bytes, and the claims a verified token yields are the same for
// every algorithm (a header parameter the server does not know is ignored, RFC 7515 4.1;
// the server reads the header only when it verifies). The secret file is
// the HMAC key as is. ES256 signatures are raw r||s (64 bytes), as JWS wants. TAMPERED is
// VALID with the signature's first character changed: a well-formed token whose signature
// does not verify.
'use strict';
const crypto = require('crypto');
const fs = require('fs');

if (process.argv.length !== 5) {
	process.stderr.write('usage: node tokens-sign.js HS256-SECRET RSA-PRIVATE-PEM EC-PRIVATE-PEM\n');
	process.exit(2);
}
const secret = fs.readFileSync(process.argv[2]);
const rsa = crypto.createPrivateKey(fs.readFileSync(process.argv[3]));
const ec = crypto.createPrivateKey(fs.readFileSync(process.argv[4]));
const b64u = (b) => Buffer.from(b).toString('base64url');
const now = Math.floor(Date.now() / 1000);

function sign(alg, padlen) {
	const head = b64u(JSON.stringify({ alg: alg, typ: 'JWT', pad: 'x'.repeat(padlen) }));
	const claims = { sub: 'alice', iat: now, exp: now + 86400 };
	const input = head + '.' + b64u(JSON.stringify(claims));
	let sig;
	if (alg === 'HS256')
		sig = crypto.createHmac('sha256', secret).update(input).digest();
	else if (alg === 'RS256')
		sig = crypto.sign('sha256', Buffer.from(input), rsa);
	else
		sig = crypto.sign('sha256', Buffer.from(input), { key: ec, dsaEncoding: 'ieee-p1363' });
	if (alg === 'ES256' && sig.length !== 64)
		throw new Error('ES256 signature is ' + sig.length + ' bytes, not 64');
	return input + '.' + b64u(sig);
}

// RS256 has the longest signature: pad the other two up to its length. base64url cannot
// produce every length, so try a few RS256 pads until both others match exactly.
let found = null;
for (let rp = 0; rp < 8 && !found; rp++) {
	const rs = sign('RS256', rp);
	const out = { RS256: rs };
	for (const alg of ['HS256', 'ES256'])
		for (let p = 0; p < 400 && !out[alg]; p++) {
			const t = sign(alg, p);
			if (t.length === rs.length)
				out[alg] = t;
		}
	if (out.HS256 && out.ES256)
		found = out;
}
if (!found) {
	process.stderr.write('tokens-sign.js: could not pad the tokens to one length\n');
	process.exit(1);
}
for (const alg of ['HS256', 'RS256', 'ES256']) {
	const t = found[alg];
	const d = t.lastIndexOf('.') + 1;
	const bad = t.slice(0, d) + (t[d] === 'A' ? 'B' : 'A') + t.slice(d + 1);
	process.stdout.write(alg + ' ' + t + ' ' + bad + '\n');
}
