package io.xin.server.admin;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class AdminAccessTest
{
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @Test
    void shouldRefuseEveryChangeOffLoopbackWithoutATokenAndStillServeReads()
    {
        final AdminAccess access = AdminAccess.of(null, false);
        assertTrue(access.refusesAllChanges());
        assertEquals(HttpResponseStatus.FORBIDDEN, access.refusal(HttpMethod.POST, bearer(TOKEN)));
        assertEquals(HttpResponseStatus.FORBIDDEN, access.refusal(HttpMethod.PUT, new DefaultHttpHeaders()));
        assertEquals(HttpResponseStatus.FORBIDDEN, access.refusal(HttpMethod.DELETE, new DefaultHttpHeaders()));
        assertNull(access.refusal(HttpMethod.GET, new DefaultHttpHeaders()));
        assertNull(access.refusal(HttpMethod.HEAD, new DefaultHttpHeaders()));
    }

    @Test
    void shouldTakeChangesOnLoopbackWithoutAToken()
    {
        final AdminAccess access = AdminAccess.of(null, true);
        assertNull(access.refusal(HttpMethod.POST, new DefaultHttpHeaders()));
    }

    @Test
    void shouldAskForTheTokenWhereverTheAdminPortListens()
    {
        for (final boolean loopback : new boolean[]{ true, false })
        {
            final AdminAccess access = AdminAccess.of(TOKEN, loopback);
            assertEquals(HttpResponseStatus.UNAUTHORIZED, access.refusal(HttpMethod.POST, new DefaultHttpHeaders()));
            assertEquals(HttpResponseStatus.UNAUTHORIZED, access.refusal(HttpMethod.POST,
                new DefaultHttpHeaders().set(HttpHeaderNames.AUTHORIZATION, "Basic " + TOKEN)));
            assertEquals(HttpResponseStatus.FORBIDDEN, access.refusal(HttpMethod.POST, bearer(TOKEN + "0")));
            assertEquals(HttpResponseStatus.FORBIDDEN, access.refusal(HttpMethod.POST, bearer(TOKEN.substring(1))));
            assertEquals(HttpResponseStatus.FORBIDDEN, access.refusal(HttpMethod.POST, bearer("")));
            assertNull(access.refusal(HttpMethod.POST, bearer(TOKEN)));
            assertNull(access.refusal(HttpMethod.POST,
                new DefaultHttpHeaders().set(HttpHeaderNames.AUTHORIZATION, "bearer  " + TOKEN)));
            assertNull(access.refusal(HttpMethod.GET, new DefaultHttpHeaders()), "reads need no token");
        }
    }

    @Test
    void shouldReadTheTokenFromTheFilesFirstLineAndRefuseAWeakOne() throws Exception
    {
        assertEquals(TOKEN, AdminAccess.readToken(Files.writeString(dir.resolve("token"), "  " + TOKEN + "\n")));
        assertThrows(IllegalArgumentException.class,
            () -> AdminAccess.readToken(Files.writeString(dir.resolve("short"), "secret\n")));
        assertThrows(IllegalArgumentException.class,
            () -> AdminAccess.readToken(Files.writeString(dir.resolve("spaces"), "0123456789 abcdef 0123456789\n")));
        assertThrows(IllegalArgumentException.class, () -> AdminAccess.readToken(Files.writeString(dir.resolve("empty"), "")));
        assertThrows(java.io.IOException.class, () -> AdminAccess.readToken(dir.resolve("missing")));
    }

    private static HttpHeaders bearer(final String token)
    {
        return new DefaultHttpHeaders().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
}
