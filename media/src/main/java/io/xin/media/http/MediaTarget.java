package io.xin.media.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.xin.media.MediaIds;
import io.xin.media.SignedUrls;

/**
 * A request target, checked: what it names and, for a blob, the token of its query. Nothing is decoded: a valid
 * path is plain ASCII without escapes, so a percent sign, a dot segment, an empty segment, a backslash or a
 * control character is refused (400) before any routing, and what follows a known prefix must be a whole id of
 * the right form (400 otherwise). Any other path is not found (404).
 *
 * @param kind  the resource named.
 * @param id    the upload or blob id; null for the uploads collection.
 * @param token the query's {@code token} for a blob, or null when absent.
 */
record MediaTarget(MediaTarget.Kind kind, String id, String token)
{
    /** The collection that OPTIONS describes. */
    static final String UPLOADS = "/media/v1/uploads";

    /** What a target names. */
    enum Kind
    {
        /** {@code /media/v1/uploads}: OPTIONS. */
        UPLOADS,
        /** {@code /media/v1/uploads/<upload id>}: HEAD, PATCH, DELETE. */
        UPLOAD,
        /** {@code /media/v1/blobs/<blob id>}: GET, HEAD. */
        BLOB
    }

    /**
     * @param uri the request line's target: origin form ({@code /path?query}) or absolute form.
     * @return what it names.
     * @throws Refusal 400 for a malformed target or id, 404 for a path the server does not serve.
     */
    static MediaTarget parse(final String uri) throws Refusal
    {
        String target = uri;
        if (startsWithIgnoreCase(target, "http://") || startsWithIgnoreCase(target, "https://"))
        {
            // Absolute form (RFC 9112 3.2.2): the authority is the Host header's business, not ours.
            final int slash = target.indexOf('/', target.indexOf("//") + 2);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        if (target.isEmpty() || target.charAt(0) != '/')
        {
            throw malformed("request target must be a path");
        }
        final int question = target.indexOf('?');
        final String path = question < 0 ? target : target.substring(0, question);
        final String query = question < 0 ? null : target.substring(question + 1);
        checkPath(path);
        if (path.equals(UPLOADS) || path.equals(UPLOADS + "/"))
        {
            return new MediaTarget(Kind.UPLOADS, null, null);
        }
        if (path.startsWith(SignedUrls.UPLOADS_PATH))
        {
            final String id = path.substring(SignedUrls.UPLOADS_PATH.length());
            if (!MediaIds.isUploadId(id))
            {
                throw malformed("not an upload id");
            }
            return new MediaTarget(Kind.UPLOAD, id, null);
        }
        if (path.startsWith(SignedUrls.BLOBS_PATH))
        {
            final String id = path.substring(SignedUrls.BLOBS_PATH.length());
            if (!MediaIds.isBlobId(id))
            {
                throw malformed("not a blob id");
            }
            return new MediaTarget(Kind.BLOB, id, token(query));
        }
        throw new Refusal(HttpResponseStatus.NOT_FOUND, "no such resource");
    }

    /** @return the resource a token for this target is signed for, in the path form. */
    String signedPath()
    {
        return (kind == Kind.BLOB ? SignedUrls.BLOBS_PATH : SignedUrls.UPLOADS_PATH) + id;
    }

    private static void checkPath(final String path) throws Refusal
    {
        for (int i = 0; i < path.length(); i++)
        {
            final char c = path.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '%' || c == '\\' || c == '#')
            {
                throw malformed("malformed path");
            }
        }
        if (path.contains("//") || path.contains("/./") || path.contains("/../") || path.endsWith("/.") ||
            path.endsWith("/.."))
        {
            throw malformed("malformed path");
        }
    }

    /** @return the one {@code token} parameter, taken as it is (a token has no characters to escape), or null. */
    private static String token(final String query) throws Refusal
    {
        if (query == null || query.isEmpty())
        {
            return null;
        }
        String token = null;
        for (final String parameter : query.split("&", -1))
        {
            if (parameter.startsWith("token="))
            {
                if (token != null)
                {
                    throw malformed("more than one token");
                }
                token = parameter.substring("token=".length());
            }
        }
        return token;
    }

    private static boolean startsWithIgnoreCase(final String value, final String prefix)
    {
        return value.regionMatches(true, 0, prefix, 0, prefix.length());
    }

    private static Refusal malformed(final String reason)
    {
        return new Refusal(HttpResponseStatus.BAD_REQUEST, reason);
    }
}
