package io.xin.server.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Who may change the process through the admin port. Reading (GET, HEAD) is open to whoever reaches the port;
 * every other method changes something and needs {@code Authorization: Bearer <token>} with the token of
 * {@code admin-token-file}. Without a token file, changes are taken only on a port bound to loopback (only this
 * host's processes reach it) and refused with 403 otherwise. Immutable, read by the admin event loop.
 */
final class AdminAccess
{
    /** Shortest token accepted from the token file, in characters. */
    static final int MIN_TOKEN_LENGTH = 16;
    private static final String BEARER = "Bearer ";

    /** SHA-256 of the token, or null without a token file. */
    private final byte[] tokenDigest;
    private final boolean loopbackOnly;

    private AdminAccess(final byte[] tokenDigest, final boolean loopbackOnly)
    {
        this.tokenDigest = tokenDigest;
        this.loopbackOnly = loopbackOnly;
    }

    /**
     * @param token        the token from {@link #readToken(Path)}, or null for none.
     * @param loopbackOnly whether the admin port is bound to a loopback address.
     */
    static AdminAccess of(final String token, final boolean loopbackOnly)
    {
        return new AdminAccess(token == null ? null : sha256(token), loopbackOnly);
    }

    /**
     * Reads a bearer token: the file's first line, without surrounding white space.
     *
     * @throws IOException              when the file cannot be read.
     * @throws IllegalArgumentException when the token is shorter than {@value #MIN_TOKEN_LENGTH} characters or
     *                                  holds white space or anything outside printable ASCII.
     */
    static String readToken(final Path file) throws IOException
    {
        final String content = Files.readString(file, StandardCharsets.UTF_8).strip();
        final int newline = content.indexOf('\n');
        final String token = (newline < 0 ? content : content.substring(0, newline)).strip();
        if (token.length() < MIN_TOKEN_LENGTH)
        {
            throw new IllegalArgumentException("the token in " + file + " is shorter than " + MIN_TOKEN_LENGTH +
                " characters (e.g. openssl rand -hex 32 > " + file + ")");
        }
        for (int i = 0; i < token.length(); i++)
        {
            final char c = token.charAt(i);
            if (c <= ' ' || c > '~')
            {
                throw new IllegalArgumentException("the token in " + file + " must be printable ASCII without spaces");
            }
        }
        return token;
    }

    /** @return true when changes need a token. */
    boolean hasToken()
    {
        return tokenDigest != null;
    }

    /** @return true when changes are refused whatever is sent: no token file and a port beyond loopback. */
    boolean refusesAllChanges()
    {
        return tokenDigest == null && !loopbackOnly;
    }

    /**
     * @return null when the request may be served; otherwise the status to refuse it with: 401 without a bearer
     * token, 403 with a wrong one or when changes are refused altogether.
     */
    HttpResponseStatus refusal(final HttpMethod method, final HttpHeaders headers)
    {
        if (method == HttpMethod.GET || method == HttpMethod.HEAD)
        {
            return null;
        }
        if (tokenDigest == null)
        {
            return loopbackOnly ? null : HttpResponseStatus.FORBIDDEN;
        }
        final String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length()))
        {
            return HttpResponseStatus.UNAUTHORIZED;
        }
        // Digests of equal length compared in constant time: neither the token's bytes nor its length leak.
        return MessageDigest.isEqual(tokenDigest, sha256(authorization.substring(BEARER.length()).strip())) ?
            null : HttpResponseStatus.FORBIDDEN;
    }

    private static byte[] sha256(final String text)
    {
        try
        {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every JDK has SHA-256", ex);
        }
    }
}
