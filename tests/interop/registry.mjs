// Check Baeji's issuer registry with DCC's verifier-core, as VerifierPlus uses it: each
// credential is verified with `knownDIDRegistries` pointing at our /registry.json (registry
// type 'dcc-legacy'), and the `registered_issuer` step says whether the issuer is known.
// Run by tests/interop/test_registry_verifier_core.py.
//
// stdin:  {origin, local, registries: [{name, type, url}], credentials: [{id, credential}]}
//         `origin` is the service's public origin (https://badges.example.kr) and `local`
//         the 127.0.0.1 server that answers for it.
// stdout: {results: [{id, registered, matchingIssuers, uncheckedRegistries, signature,
//          fatal}]}
//
// Nothing leaves the machine: fetch (which verifier-core's DID resolver, status checker
// and registry client all use) is replaced before verifier-core loads. URLs of `origin`
// go to `local`, 127.0.0.1 is served as is, and anything else is refused, so a context or
// DID document that is not bundled or local fails instead of being fetched.

const input = JSON.parse(await new Promise((resolve, reject) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', chunk => {
    text += chunk;
  });
  process.stdin.on('end', () => resolve(text));
  process.stdin.on('error', reject);
}));

const realFetch = globalThis.fetch;
const refused = [];

function localUrl(url) {
  if(url.startsWith(input.origin + '/')) {
    return input.local + url.slice(input.origin.length);
  }
  if(url.startsWith('http://127.0.0.1:')) {
    return url;
  }
  return null;
}

globalThis.fetch = async (resource, options) => {
  const url = typeof resource === 'string' ? resource :
    resource instanceof URL ? resource.href : resource.url;
  const target = localUrl(url);
  if(target === null) {
    refused.push(url);
    throw new TypeError(`offline test: refusing to fetch ${url}`);
  }
  if(typeof resource === 'string' || resource instanceof URL) {
    return realFetch(target, options);
  }
  return realFetch(new Request(target, resource), options);
};

// Loaded only now, so every module sees the replaced fetch.
const {verifyCredential} = await import('@digitalcredentials/verifier-core');

// verifier-core logs registry errors with console.log; stdout is our answer.
console.log = (...args) => console.error(...args);

const results = [];
for(const {id, credential} of input.credentials) {
  const result = await verifyCredential({
    credential,
    knownDIDRegistries: input.registries
  });
  const step = (result.log ?? []).find(entry => entry.id === 'registered_issuer');
  const signature = (result.log ?? []).find(entry => entry.id === 'valid_signature');
  results.push({
    id,
    registered: step ? step.valid : null,
    matchingIssuers: step ? step.matchingIssuers : null,
    uncheckedRegistries: step ? step.uncheckedRegistries : null,
    signature: signature ? signature.valid : null,
    fatal: (result.errors ?? []).map(error => `${error.name}: ${error.message}`)
  });
}
process.stdout.write(JSON.stringify({results, refused}) + '\n');
