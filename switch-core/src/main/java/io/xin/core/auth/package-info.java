/**
 * Login tokens: JWT verification (HS256, ES256, EdDSA) and development token issuing.
 */
package io.xin.core.auth;
