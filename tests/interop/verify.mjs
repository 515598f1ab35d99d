// Verify Baeji credentials with independent implementations: Digital Bazaar's
// @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite (Data Integrity proof) and
// jose (VC-JWT). Run by tests/interop/test_independent_verifiers.py.
//
// stdin: one job {id?, credential, jwt?, didDocument, contexts: {url: doc}, now?}
//        or a batch {contexts?: {url: doc}, jobs: [job, ...]} (batch contexts are shared;
//        a job's own contexts are added to them).
// stdout: for one job {di: {verified, error}, jwt: {verified, error, payloadMatches}};
//         for a batch {results: [{id, di, jwt}, ...]} in job order. `jwt` is null when the
//         job has no token.
//
// Nothing is fetched: the document loader serves only the given contexts, the DID
// document and its verification methods, and throws for any other URL.

import {isDeepStrictEqual} from 'node:util';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {verifyCredential} from '@digitalbazaar/vc';
import {importJWK, jwtVerify} from 'jose';

// Registered JWT claims OB 3.0 adds to the credential to form the payload.
const REGISTERED_CLAIMS = new Set(['iss', 'jti', 'nbf', 'sub', 'exp', 'iat', 'aud']);
const JWT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

function describe(error) {
  if(!error) {
    return null;
  }
  const messages = [];
  const walk = (err, depth) => {
    if(!err || depth > 5) {
      return;
    }
    if(err.message) {
      messages.push(err.message);
    } else {
      messages.push(String(err));
    }
    for(const inner of err.errors ?? []) {
      walk(inner, depth + 1);
    }
    if(err.cause) {
      walk(err.cause, depth + 1);
    }
    if(err.details?.cause) {
      walk(err.details.cause, depth + 1);
    }
  };
  walk(error, 0);
  return messages.join('; ');
}

function didDocumentLoader({contexts, didDocument}) {
  const documents = new Map(Object.entries(contexts));
  const dids = new Map();
  if(didDocument) {
    dids.set(didDocument.id, didDocument);
    for(const method of didDocument.verificationMethod ?? []) {
      // A verification method dereferenced on its own carries the DID document's
      // contexts, as a DID resolver returns it.
      dids.set(method.id, {'@context': didDocument['@context'], ...method});
    }
  }
  return async url => {
    if(documents.has(url)) {
      return {contextUrl: null, documentUrl: url, document: documents.get(url)};
    }
    if(dids.has(url)) {
      return {contextUrl: null, documentUrl: url, document: dids.get(url)};
    }
    throw new Error(`document loader refused ${url} (not provided to the verifier)`);
  };
}

async function verifyDataIntegrity(job, contexts) {
  try {
    const result = await verifyCredential({
      credential: job.credential,
      suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
      documentLoader: didDocumentLoader({contexts, didDocument: job.didDocument}),
      // Status lists are out of scope here (no network): report every status as unset.
      checkStatus: async () => ({verified: true}),
      ...(job.now ? {now: job.now} : {})
    });
    const errors = [result.error, ...(result.results ?? []).map(r => r.error)]
      .filter(Boolean);
    return {
      verified: result.verified === true,
      error: result.verified ? null : describe(errors[0]) ?? 'not verified'
    };
  } catch(error) {
    return {verified: false, error: describe(error)};
  }
}

function findJwk(didDocument, kid) {
  const method = (didDocument?.verificationMethod ?? []).find(m => m.id === kid);
  if(!method) {
    throw new Error(`kid ${kid} is not a verification method of the DID document`);
  }
  if(!method.publicKeyJwk) {
    throw new Error(`verification method ${kid} has no publicKeyJwk`);
  }
  if(!(didDocument.assertionMethod ?? []).includes(kid)) {
    throw new Error(`verification method ${kid} is not an assertionMethod`);
  }
  return method.publicKeyJwk;
}

async function verifyJwt(job) {
  const result = {verified: false, error: null, payloadMatches: false};
  try {
    const credential = job.credential;
    const issuerId = typeof credential.issuer === 'string' ?
      credential.issuer : credential.issuer?.id;
    const subjectId = credential.credentialSubject?.id;
    // The key is chosen by the token's kid, but its algorithm comes from the JWK,
    // never from the token header.
    const {payload, protectedHeader} = await jwtVerify(job.jwt, async header => {
      const jwk = findJwk(job.didDocument, header.kid);
      if(!JWT_ALGORITHMS.includes(jwk.alg)) {
        throw new Error(`unsupported JWK alg ${jwk.alg}`);
      }
      return importJWK(jwk, jwk.alg);
    }, {
      algorithms: JWT_ALGORITHMS,
      typ: 'JWT',
      issuer: issuerId,
      ...(subjectId ? {subject: subjectId} : {}),
      requiredClaims: ['iss', 'jti', 'nbf'],
      ...(job.now ? {currentDate: new Date(job.now)} : {})
    });
    if(payload.jti !== credential.id) {
      throw new Error('jti does not match the credential id');
    }
    const unsecured = Object.fromEntries(
      Object.entries(payload).filter(([key]) => !REGISTERED_CLAIMS.has(key)));
    result.payloadMatches = isDeepStrictEqual(unsecured, credential);
    result.verified = true;
    result.alg = protectedHeader.alg;
  } catch(error) {
    result.error = describe(error);
  }
  return result;
}

async function runJob(job, sharedContexts) {
  const contexts = {...sharedContexts, ...(job.contexts ?? {})};
  return {
    ...(job.id !== undefined ? {id: job.id} : {}),
    di: job.credential?.proof ?
      await verifyDataIntegrity(job, contexts) :
      {verified: false, error: 'the credential has no proof'},
    jwt: job.jwt ? await verifyJwt(job) : null
  };
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const input = await readStdin();
let output;
if(Array.isArray(input.jobs)) {
  const results = [];
  for(const job of input.jobs) {
    results.push(await runJob(job, input.contexts ?? {}));
  }
  output = {results};
} else {
  const {id, ...result} = await runJob(input, {});
  output = result;
}
process.stdout.write(JSON.stringify(output) + '\n');
