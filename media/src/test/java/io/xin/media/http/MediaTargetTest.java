package io.xin.media.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class MediaTargetTest
{
    private static final String UPLOAD = "AbCdEfGhIjKlMnOpQrSt_-";
    private static final String BLOB = "0123456789abcdef".repeat(4);

    @Test
    void namesTheThreeResources() throws Refusal
    {
        assertEquals(new MediaTarget(MediaTarget.Kind.UPLOADS, null, null), MediaTarget.parse("/media/v1/uploads"));
        assertEquals(new MediaTarget(MediaTarget.Kind.UPLOADS, null, null), MediaTarget.parse("/media/v1/uploads/"));
        assertEquals(new MediaTarget(MediaTarget.Kind.UPLOAD, UPLOAD, null),
            MediaTarget.parse("/media/v1/uploads/" + UPLOAD));
        assertEquals(new MediaTarget(MediaTarget.Kind.BLOB, BLOB, "1.k.abc"),
            MediaTarget.parse("/media/v1/blobs/" + BLOB + "?x=1&token=1.k.abc&y"));
        assertNull(MediaTarget.parse("/media/v1/blobs/" + BLOB).token());
        assertNull(MediaTarget.parse("/media/v1/blobs/" + BLOB + "?").token());
        assertEquals(new MediaTarget(MediaTarget.Kind.UPLOAD, UPLOAD, null),
            MediaTarget.parse("HTTPS://media.example/media/v1/uploads/" + UPLOAD));
        assertEquals("/media/v1/blobs/" + BLOB, MediaTarget.parse("/media/v1/blobs/" + BLOB).signedPath());
        assertEquals("/media/v1/uploads/" + UPLOAD, MediaTarget.parse("/media/v1/uploads/" + UPLOAD).signedPath());
    }

    @Test
    void refusesMalformedTargetsWith400()
    {
        for (final String target : List.of(
            "*",
            "media/v1/uploads",
            "",
            "/media/v1/uploads/" + UPLOAD + "x",
            "/media/v1/uploads/" + UPLOAD.substring(1),
            "/media/v1/uploads/../../etc/passwd",
            "/media/v1/uploads/%2e%2e%2fetc%2fpasswd",
            "/media/v1/uploads/" + UPLOAD.substring(1) + "%41",
            "/media/v1/uploads/" + UPLOAD.substring(1) + "\u00e9",
            "/media/v1/uploads/" + UPLOAD.substring(1) + "\u0000",
            "/media/v1/uploads/" + UPLOAD.substring(1) + "=",
            "/media/v1//uploads/" + UPLOAD,
            "/media/v1/./uploads/" + UPLOAD,
            "/media/v1/x/../uploads/" + UPLOAD,
            "/media/v1/uploads/..",
            "/media/v1/uploads/.",
            "/media\\v1\\uploads\\" + UPLOAD,
            "/media/v1/uploads/" + UPLOAD + "#x",
            "/media/v1/blobs/" + BLOB.toUpperCase(java.util.Locale.ROOT),
            "/media/v1/blobs/" + BLOB + "0",
            "/media/v1/blobs/" + BLOB + "/",
            "/media/v1/blobs/" + BLOB + "?token=a&token=b"))
        {
            final Refusal refusal = assertThrows(Refusal.class, () -> MediaTarget.parse(target), target);
            assertEquals(400, refusal.status().code(), target);
        }
    }

    @Test
    void answersOtherPathsWith404()
    {
        for (final String target : List.of("/", "/media", "/media/v1/blobs", "/media/v2/uploads", "/etc/passwd",
            "/media/v1/uploadsX", "http://host"))
        {
            final Refusal refusal = assertThrows(Refusal.class, () -> MediaTarget.parse(target), target);
            assertEquals(404, refusal.status().code(), target);
        }
    }
}
