// A real OpenID Provider for the tests: oidc-provider (OpenID Certified) on loopback.
//
// Started by tests/oidc_provider.py as `node server.js CONFIG.json`. The configuration names
// the issuer, the port, the signing keys (private JWKs; the first of each key type signs),
// the clients and the resource servers (APIs) it issues JWT access tokens for. Each client
// has three extra metadata fields the tokens carry: `tenant` and `roles` (claims for the API
// to map) and `token_alg` (the JWS algorithm its access tokens are signed with).
//
// Browser sign-in (authorization code + PKCE): web clients are registered at run time through
// dynamic registration (`/reg`, guarded by the configuration's `registration_token`), and
// people log in through the development interactions (`/interaction/:uid`: any login, any
// password, then a consent page). The accounts' claims (email, name, groups, and any others
// the configuration's `extra_claims` names) come from the JSON file `accounts_file`, read
// again on every lookup so that a test can change them while the provider runs; an account
// id the file lacks is a person with no claims but `sub`.
//
// Nothing here is fit for production: in-memory storage, development interactions.

import { existsSync, readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function accounts() {
  if (!config.accounts_file || !existsSync(config.accounts_file)) return {};
  return JSON.parse(readFileSync(config.accounts_file, 'utf8'));
}

const provider = new Provider(config.issuer, {
  jwks: { keys: config.keys },
  clients: config.clients,
  extraClientMetadata: { properties: ['tenant', 'roles', 'token_alg'] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ ...(accounts()[sub] || {}), sub }),
  }),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'groups', ...(config.extra_claims || [])],
  },
  // The ID token carries the scopes' claims even though the userinfo endpoint could serve them:
  // the relying party under test reads them from the ID token only.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true, initialAccessToken: config.registration_token },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    resourceIndicators: {
      enabled: true,
      // A token request without `resource` is for the first resource server.
      defaultResource: async () => config.resources[0],
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource, client) => {
        if (!config.resources.includes(resource)) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: 'api',
          audience: resource,
          accessTokenTTL: config.access_token_ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: client.token_alg || 'RS256' } },
        };
      },
    },
  },
  ttl: { ClientCredentials: config.access_token_ttl },
  extraTokenClaims: async (ctx, token) => {
    const client = ctx.oidc.client;
    const claims = {};
    if (client?.tenant) claims.tenant = client.tenant;
    if (client?.roles) claims.roles = client.roles;
    return claims;
  },
  // oidc-provider warns about default cookie keys; these are throwaway, like everything here.
  cookies: { keys: ['undersign-test-only-cookie-key'] },
});

// The issuer is plain http on 127.0.0.1: nothing to trust a proxy for.
provider.proxy = false;

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening on ${config.issuer}\n`);
});

function stop() {
  server.close(() => process.exit(0));
  // Keep-alive connections would hold close() open; they are only the tests'.
  server.closeAllConnections?.();
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
