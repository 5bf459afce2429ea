/// The OpenAPI 3.1 document of every route, served at `GET /openapi.json`.
///
/// Hand-written. `docs/openapi.json` is the copy to read, edit and validate
/// (`openapi-spec-validator docs/openapi.json`); this constant is the copy compiled into the
/// server, so that the binary needs no resource files. After editing the docs copy, paste it
/// between the delimiters below. `OpenAPIDocumentTests` fails when the two differ, and when a
/// route exists that the document lacks or the reverse.
public enum OpenAPIDocument {
    public static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Sesame",
    "version": "1.0.0",
    "summary": "A self-hosted token service: one token core, three wire dialects.",
    "description": "Every route Sesame serves. enduser (family A) and kanfang (family B) answer HTTP 200 with their own envelopes, errors included; oauth follows RFC 6749, 7009, 7662, 7517 and 8414. See docs/OPERATOR_GUIDE.md. This document is hand-written: docs/openapi.json is the copy to read and validate, Sources/SesameServer/OpenAPIDocument.swift the copy the server serves, and a test keeps them identical and in step with the router.",
    "license": { "name": "Proprietary" }
  },
  "servers": [{ "url": "http://127.0.0.1:8080", "description": "the default listening address" }],
  "tags": [
    { "name": "enduser", "description": "Family A, /v2/enduser/enduserapi/" },
    { "name": "kanfang", "description": "Family B, /v2/Authorization/" },
    { "name": "oauth", "description": "Standard OAuth 2.0, /oauth/ and /.well-known/" },
    { "name": "operations", "description": "Health, metrics and this document" }
  ],
  "paths": {
    "/health": {
      "get": {
        "tags": ["operations"],
        "operationId": "health",
        "summary": "Whether the store answers",
        "responses": {
          "200": { "description": "The store is reachable.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } },
          "503": { "description": "The store is unreachable.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } }
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": ["operations"],
        "operationId": "metrics",
        "summary": "Prometheus metrics",
        "responses": {
          "200": { "description": "Prometheus text exposition format (version 0.0.4): request, login, refresh, reuse and lockout counters, request and store latency histograms.", "content": { "text/plain": { "schema": { "type": "string" } } } }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "tags": ["operations"],
        "operationId": "openAPIDocument",
        "summary": "This document",
        "responses": {
          "200": { "description": "The OpenAPI 3.1 document.", "content": { "application/json": { "schema": { "type": "object" } } } }
        }
      }
    },
    "/v2/enduser/enduserapi/emailPwdLogin": {
      "post": {
        "tags": ["enduser"],
        "operationId": "enduserEmailPasswordLogin",
        "summary": "Log in with e-mail and password",
        "description": "Parameters come from the query, a form body or a JSON object body, in that order of precedence. Errors: 5026, 5040, 5022, 5056, 5023, 5013, 5015, 5104, 5550, 5420, 5586..5583, 5147 (and 5031 when configured).",
        "requestBody": {
          "content": {
            "application/x-www-form-urlencoded": { "schema": { "$ref": "#/components/schemas/EnduserEmailLogin" } },
            "application/json": { "schema": { "$ref": "#/components/schemas/EnduserEmailLogin" } }
          }
        },
        "responses": { "200": { "$ref": "#/components/responses/EnduserTokenPair" } }
      }
    },
    "/v2/enduser/enduserapi/phonePwdLogin": {
      "post": {
        "tags": ["enduser"],
        "operationId": "enduserPhonePasswordLogin",
        "summary": "Log in with phone number and password",
        "description": "Errors: 5021, 5019, 5022, 5056, 5023, 5013, 5015, 5104, 5550, 5420, 5582..5579, 5147 (and 5004 when configured).",
        "requestBody": {
          "content": {
            "application/x-www-form-urlencoded": { "schema": { "$ref": "#/components/schemas/EnduserPhoneLogin" } },
            "application/json": { "schema": { "$ref": "#/components/schemas/EnduserPhoneLogin" } }
          }
        },
        "responses": { "200": { "$ref": "#/components/responses/EnduserTokenPair" } }
      }
    },
    "/v2/enduser/enduserapi/refreshToken": {
      "put": {
        "tags": ["enduser"],
        "operationId": "enduserRefreshToken",
        "summary": "Rotate the refresh token",
        "description": "Errors: 5115 missing, 5032 invalid, expired, revoked, reused or of another dialect.",
        "requestBody": {
          "content": {
            "application/x-www-form-urlencoded": { "schema": { "$ref": "#/components/schemas/EnduserRefresh" } },
            "application/json": { "schema": { "$ref": "#/components/schemas/EnduserRefresh" } }
          }
        },
        "responses": { "200": { "$ref": "#/components/responses/EnduserTokenPair" } }
      }
    },
    "/v2/enduser/enduserapi/userInfo": {
      "get": {
        "tags": ["enduser"],
        "operationId": "enduserUserInfo",
        "summary": "The logged-in user's profile",
        "description": "Errors: 5106 missing token, 5032 invalid token.",
        "parameters": [{ "$ref": "#/components/parameters/EnduserAuthorization" }],
        "responses": {
          "200": {
            "description": "The family A envelope; data is the user object.",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EnduserEnvelope" } } }
          }
        }
      }
    },
    "/v2/enduser/enduserapi/userLogout": {
      "delete": {
        "tags": ["enduser"],
        "operationId": "enduserLogout",
        "summary": "Revoke the session",
        "description": "Errors: 5106, 5032. Success data is {}.",
        "parameters": [{ "$ref": "#/components/parameters/EnduserAuthorization" }],
        "responses": {
          "200": {
            "description": "The family A envelope.",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EnduserEnvelope" } } }
          }
        }
      }
    },
    "/v2/Authorization/GetAccessToken": {
      "get": {
        "tags": ["kanfang"],
        "operationId": "kanfangGetAccessToken",
        "summary": "Log in with authKey and authValue",
        "description": "state 401 for wrong credentials, 403 for a frozen identifier.",
        "parameters": [
          { "name": "authKey", "in": "query", "required": true, "description": "User name, e-mail or phone.", "schema": { "type": "string" } },
          { "name": "authValue", "in": "query", "required": true, "description": "The password.", "schema": { "type": "string" } },
          { "name": "clientEdtion", "in": "query", "required": false, "schema": { "type": "string" } }
        ],
        "responses": { "200": { "$ref": "#/components/responses/KanfangTokenPair" } }
      }
    },
    "/v2/Authorization/RefreshToken": {
      "get": {
        "tags": ["kanfang"],
        "operationId": "kanfangRefreshToken",
        "summary": "Rotate the refresh token",
        "description": "Authorization (refresh token, or the session's access token even expired) from the header, else the query, else the cookie, raw or with 'Bearer '. authKey/authValue must name the session's user unless configured optional. Any failure is state 4011.",
        "parameters": [
          { "name": "Authorization", "in": "header", "required": false, "schema": { "type": "string" } },
          { "name": "Authorization", "in": "query", "required": false, "schema": { "type": "string" } },
          { "name": "Authorization", "in": "cookie", "required": false, "schema": { "type": "string" } },
          { "name": "authKey", "in": "query", "required": false, "schema": { "type": "string" } },
          { "name": "authValue", "in": "query", "required": false, "schema": { "type": "string" } }
        ],
        "responses": { "200": { "$ref": "#/components/responses/KanfangTokenPair" } }
      }
    },
    "/oauth/token": {
      "post": {
        "tags": ["oauth"],
        "operationId": "oauthToken",
        "summary": "Issue tokens: grant_type password or refresh_token (RFC 6749 §4.3, §6)",
        "description": "Form-encoded body only; a JSON body, a query string or a repeated parameter is invalid_request. Clients authenticate by HTTP Basic (client_secret_basic) or client_secret in the body (client_secret_post); public clients send client_id alone. A refused request consumes nothing.",
        "security": [{ "clientBasic": [] }, {}],
        "requestBody": {
          "required": true,
          "content": { "application/x-www-form-urlencoded": { "schema": { "$ref": "#/components/schemas/OAuthTokenRequest" } } }
        },
        "responses": {
          "200": {
            "description": "RFC 6749 §5.1.",
            "headers": { "Cache-Control": { "$ref": "#/components/headers/NoStore" }, "Pragma": { "$ref": "#/components/headers/NoCache" } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthTokenResponse" } } }
          },
          "400": { "$ref": "#/components/responses/OAuthBadRequest" },
          "401": { "$ref": "#/components/responses/OAuthInvalidClient" },
          "413": { "$ref": "#/components/responses/OAuthTooLarge" },
          "429": { "$ref": "#/components/responses/OAuthTooManyRequests" },
          "503": { "$ref": "#/components/responses/OAuthUnavailable" }
        }
      }
    },
    "/oauth/revoke": {
      "post": {
        "tags": ["oauth"],
        "operationId": "oauthRevoke",
        "summary": "Revoke a token's session (RFC 7009)",
        "description": "A refresh token (current or rotated) or an unexpired access token revokes its whole session. Unknown tokens, other clients' tokens and ended sessions answer 200 too, revoking nothing.",
        "security": [{ "clientBasic": [] }, {}],
        "requestBody": {
          "required": true,
          "content": { "application/x-www-form-urlencoded": { "schema": { "$ref": "#/components/schemas/OAuthTokenParameter" } } }
        },
        "responses": {
          "200": { "description": "Revoked, or nothing to revoke. Empty body." },
          "400": { "$ref": "#/components/responses/OAuthBadRequest" },
          "401": { "$ref": "#/components/responses/OAuthInvalidClient" },
          "413": { "$ref": "#/components/responses/OAuthTooLarge" },
          "429": { "$ref": "#/components/responses/OAuthTooManyRequests" }
        }
      }
    },
    "/oauth/introspect": {
      "post": {
        "tags": ["oauth"],
        "operationId": "oauthIntrospect",
        "summary": "Whether a token is live (RFC 7662)",
        "description": "Only confidential clients may call it. Anything not live, or issued to another client, is exactly {\"active\": false}.",
        "security": [{ "clientBasic": [] }, {}],
        "requestBody": {
          "required": true,
          "content": { "application/x-www-form-urlencoded": { "schema": { "$ref": "#/components/schemas/OAuthIntrospectionRequest" } } }
        },
        "responses": {
          "200": {
            "description": "RFC 7662 §2.2.",
            "headers": { "Cache-Control": { "$ref": "#/components/headers/NoStore" } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthIntrospectionResponse" } } }
          },
          "400": { "$ref": "#/components/responses/OAuthBadRequest" },
          "401": { "$ref": "#/components/responses/OAuthInvalidClient" },
          "413": { "$ref": "#/components/responses/OAuthTooLarge" },
          "429": { "$ref": "#/components/responses/OAuthTooManyRequests" }
        }
      }
    },
    "/oauth/userinfo": {
      "get": {
        "tags": ["oauth"],
        "operationId": "oauthUserInfo",
        "summary": "The user of a live oauth access token",
        "security": [{ "bearer": [] }],
        "responses": {
          "200": {
            "description": "OpenID Connect claim names; fields the user lacks are left out.",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthUserInfo" } } }
          },
          "401": {
            "description": "No token (bare 'Bearer' challenge), or an invalid, expired or revoked one ('Bearer error=\"invalid_token\"').",
            "headers": { "WWW-Authenticate": { "schema": { "type": "string" } } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthError" } } }
          }
        }
      }
    },
    "/.well-known/jwks.json": {
      "get": {
        "tags": ["oauth"],
        "operationId": "jwks",
        "summary": "The public signing keys (RFC 7517)",
        "responses": {
          "200": {
            "description": "Every key has kty, kid, alg and use: sig, and no private member.",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/JSONWebKeySet" } } }
          }
        }
      }
    },
    "/.well-known/oauth-authorization-server": {
      "get": {
        "tags": ["oauth"],
        "operationId": "authorizationServerMetadata",
        "summary": "Authorization server metadata (RFC 8414)",
        "responses": {
          "200": {
            "description": "issuer equals the configured issuer; every endpoint is under it.",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AuthorizationServerMetadata" } } }
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "clientBasic": { "type": "http", "scheme": "basic", "description": "client_id and client secret, each form-urlencoded (RFC 6749 §2.3.1)." },
      "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }
    },
    "parameters": {
      "EnduserAuthorization": {
        "name": "Authorization", "in": "header", "required": false,
        "description": "The access token, with or without 'Bearer '.", "schema": { "type": "string" }
      }
    },
    "headers": {
      "NoStore": { "schema": { "type": "string", "const": "no-store" } },
      "NoCache": { "schema": { "type": "string", "const": "no-cache" } }
    },
    "responses": {
      "EnduserTokenPair": {
        "description": "The family A envelope; on success data is the token pair.",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EnduserEnvelope" } } }
      },
      "KanfangTokenPair": {
        "description": "The family B envelope; on success payload is the token pair, on failure a message.",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/KanfangEnvelope" } } }
      },
      "OAuthBadRequest": {
        "description": "invalid_request, invalid_grant, unauthorized_client or unsupported_grant_type (RFC 6749 §5.2).",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthError" } } }
      },
      "OAuthInvalidClient": {
        "description": "invalid_client, with WWW-Authenticate: Basic realm=\"sesame\".",
        "headers": { "WWW-Authenticate": { "schema": { "type": "string" } } },
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthError" } } }
      },
      "OAuthTooLarge": {
        "description": "The body is over the configured limit.",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthError" } } }
      },
      "OAuthTooManyRequests": {
        "description": "temporarily_unavailable: the caller's address used up a per-address limit; Retry-After says when to try again.",
        "headers": { "Retry-After": { "schema": { "type": "integer" } } },
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthError" } } }
      },
      "OAuthUnavailable": {
        "description": "temporarily_unavailable: the store did not answer; retry later.",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OAuthError" } } }
      }
    },
    "schemas": {
      "Health": {
        "type": "object", "required": ["status"],
        "properties": { "status": { "type": "string", "examples": ["ok"] } }
      },
      "EnduserEnvelope": {
        "type": "object", "required": ["code", "msg", "data", "extMsg"],
        "properties": {
          "code": { "type": "integer", "description": "200 on success, else the family's error code." },
          "msg": { "type": "string" },
          "data": { "oneOf": [{ "$ref": "#/components/schemas/EnduserTokenPair" }, { "type": "object" }, { "type": "null" }] },
          "extMsg": { "type": "null" }
        }
      },
      "EnduserToken": {
        "type": "object", "required": ["token", "expirationTime"],
        "properties": {
          "token": { "type": "string", "description": "'Bearer ' followed by the token." },
          "expirationTime": { "type": "integer", "description": "Absolute Unix seconds." }
        }
      },
      "EnduserTokenPair": {
        "type": "object", "required": ["accessToken", "refreshToken"],
        "properties": {
          "accessToken": { "$ref": "#/components/schemas/EnduserToken" },
          "refreshToken": { "$ref": "#/components/schemas/EnduserToken" }
        }
      },
      "EnduserEmailLogin": {
        "type": "object", "required": ["email", "pwd", "userDomain", "signature"],
        "properties": {
          "email": { "type": "string" },
          "pwd": { "type": "string", "description": "The password, or its AES-128-CBC form when random is present." },
          "random": { "type": "string" },
          "userDomain": { "type": "string" },
          "signature": { "type": "string" }
        }
      },
      "EnduserPhoneLogin": {
        "type": "object", "required": ["phone", "pwd", "userDomain", "signature"],
        "properties": {
          "phone": { "type": "string" },
          "internationalCode": { "type": "string", "description": "Default 86." },
          "pwd": { "type": "string" },
          "random": { "type": "string" },
          "userDomain": { "type": "string" },
          "signature": { "type": "string" }
        }
      },
      "EnduserRefresh": {
        "type": "object", "required": ["refreshToken"],
        "properties": { "refreshToken": { "type": "string", "description": "With or without 'Bearer '." } }
      },
      "KanfangEnvelope": {
        "type": "object", "required": ["state", "payload"],
        "properties": {
          "state": { "type": "integer", "description": "200, 401, 403, 4011 or 500." },
          "payload": { "oneOf": [{ "$ref": "#/components/schemas/KanfangTokenPair" }, { "type": "string" }] }
        }
      },
      "KanfangTokenPair": {
        "type": "object", "required": ["token", "tokenExpireIn", "refreshToken", "refreshTokenExpireIn"],
        "properties": {
          "token": { "type": "string" },
          "tokenExpireIn": { "type": "integer", "description": "Seconds from now." },
          "refreshToken": { "type": "string" },
          "refreshTokenExpireIn": { "type": "integer", "description": "Seconds from now." }
        }
      },
      "OAuthClientAuthentication": {
        "type": "object",
        "properties": {
          "client_id": { "type": "string", "description": "Required unless sent by HTTP Basic." },
          "client_secret": { "type": "string", "description": "client_secret_post; never together with HTTP Basic." }
        }
      },
      "OAuthTokenRequest": {
        "allOf": [
          { "$ref": "#/components/schemas/OAuthClientAuthentication" },
          {
            "type": "object", "required": ["grant_type"],
            "properties": {
              "grant_type": { "type": "string", "enum": ["password", "refresh_token"] },
              "username": { "type": "string", "description": "password grant: the user's name, e-mail or phone in the client's domain." },
              "password": { "type": "string", "description": "password grant." },
              "refresh_token": { "type": "string", "description": "refresh_token grant." },
              "scope": { "type": "string", "description": "Accepted and ignored: Sesame has no scopes." }
            }
          }
        ]
      },
      "OAuthTokenParameter": {
        "allOf": [
          { "$ref": "#/components/schemas/OAuthClientAuthentication" },
          {
            "type": "object", "required": ["token"],
            "properties": {
              "token": { "type": "string" },
              "token_type_hint": { "type": "string", "description": "access_token or refresh_token; accepted, not needed." }
            }
          }
        ]
      },
      "OAuthIntrospectionRequest": { "$ref": "#/components/schemas/OAuthTokenParameter" },
      "OAuthTokenResponse": {
        "type": "object", "required": ["access_token", "token_type", "expires_in", "refresh_token"],
        "properties": {
          "access_token": { "type": "string", "description": "A JWT; aud is the client_id." },
          "token_type": { "type": "string", "const": "Bearer" },
          "expires_in": { "type": "integer" },
          "refresh_token": { "type": "string" }
        }
      },
      "OAuthIntrospectionResponse": {
        "oneOf": [
          {
            "type": "object", "required": ["active"], "additionalProperties": false,
            "properties": { "active": { "const": false } }
          },
          {
            "type": "object", "required": ["active", "client_id", "sub", "iss", "jti", "iat", "exp", "token_type"],
            "properties": {
              "active": { "const": true },
              "client_id": { "type": "string" },
              "sub": { "type": "string" },
              "iss": { "type": "string" },
              "jti": { "type": "string" },
              "iat": { "type": "integer" },
              "exp": { "type": "integer" },
              "nbf": { "type": "integer" },
              "aud": { "type": "string" },
              "token_type": { "type": "string", "enum": ["Bearer", "refresh_token"] }
            }
          }
        ]
      },
      "OAuthUserInfo": {
        "type": "object", "required": ["sub"],
        "properties": {
          "sub": { "type": "string" },
          "email": { "type": "string" },
          "phone_number": { "type": "string", "description": "+ international code and number." },
          "preferred_username": { "type": "string" },
          "nickname": { "type": "string" }
        }
      },
      "OAuthError": {
        "type": "object", "required": ["error"],
        "properties": {
          "error": {
            "type": "string",
            "enum": ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_token", "server_error", "temporarily_unavailable"]
          },
          "error_description": { "type": "string" }
        }
      },
      "JSONWebKey": {
        "type": "object", "required": ["kty", "kid", "alg", "use"],
        "properties": {
          "kty": { "type": "string", "enum": ["EC", "RSA", "OKP"] },
          "kid": { "type": "string" },
          "alg": { "type": "string", "enum": ["ES256", "RS256", "EdDSA"] },
          "use": { "type": "string", "const": "sig" },
          "crv": { "type": "string", "description": "EC: P-256; OKP: Ed25519" },
          "x": { "type": "string", "description": "EC and OKP, unpadded Base64URL" },
          "y": { "type": "string", "description": "EC, unpadded Base64URL" },
          "n": { "type": "string", "description": "RSA modulus, unpadded Base64URL" },
          "e": { "type": "string", "description": "RSA public exponent, unpadded Base64URL" }
        }
      },
      "JSONWebKeySet": {
        "type": "object", "required": ["keys"],
        "properties": { "keys": { "type": "array", "items": { "$ref": "#/components/schemas/JSONWebKey" } } }
      },
      "AuthorizationServerMetadata": {
        "type": "object",
        "required": ["issuer", "token_endpoint", "jwks_uri", "response_types_supported", "grant_types_supported"],
        "properties": {
          "issuer": { "type": "string", "format": "uri" },
          "token_endpoint": { "type": "string", "format": "uri" },
          "revocation_endpoint": { "type": "string", "format": "uri" },
          "introspection_endpoint": { "type": "string", "format": "uri" },
          "userinfo_endpoint": { "type": "string", "format": "uri" },
          "jwks_uri": { "type": "string", "format": "uri" },
          "service_documentation": { "type": "string", "format": "uri" },
          "grant_types_supported": { "type": "array", "items": { "type": "string" } },
          "response_types_supported": { "type": "array", "items": { "type": "string" } },
          "token_endpoint_auth_methods_supported": { "type": "array", "items": { "type": "string" } },
          "revocation_endpoint_auth_methods_supported": { "type": "array", "items": { "type": "string" } },
          "introspection_endpoint_auth_methods_supported": { "type": "array", "items": { "type": "string" } }
        }
      }
    }
  }
}
"""#
}
