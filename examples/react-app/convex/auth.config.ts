// Convex verifies the session JWTs the gateway mints: this app's own site URL is the issuer (the gateway's routes
// are mounted in convex/http.ts), and the audience is the client_id the app signs in with.
export default {
  providers: [{ domain: process.env.CONVEX_SITE_URL!, applicationID: "example-react-app" }],
};
