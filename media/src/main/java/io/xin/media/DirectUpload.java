package io.xin.media;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An upload that goes straight to the object store, without the switch: one request of the whole body to a signed
 * URL. The store signs the exact length and the declared SHA-256, so the URL takes those bytes and no others.
 *
 * @param uploadId  the upload's id, as {@link MediaStore#createUpload} returns.
 * @param url       where to send the body.
 * @param method    the HTTP method, "PUT".
 * @param headers   the headers to send exactly as given, in order, beside Content-Length (which every HTTP client
 *                  sets from the body): they are part of the signature.
 * @param expiresAt when the URL stops working; at most the upload's expiry.
 */
public record DirectUpload(String uploadId, URI url, String method, List<Map.Entry<String, String>> headers,
    Instant expiresAt)
{
    /**
     * @throws IllegalArgumentException if a value is missing.
     */
    public DirectUpload
    {
        if (uploadId == null || url == null || method == null || headers == null || expiresAt == null)
        {
            throw new IllegalArgumentException("uploadId, url, method, headers and expiresAt are required");
        }
        headers = List.copyOf(headers);
    }
}
