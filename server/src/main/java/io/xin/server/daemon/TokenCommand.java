package io.xin.server.daemon;

import io.xin.core.auth.TokenIssuer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code xin token}: prints a development HS256 token for a user.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Print an HS256 login token (JWT) for a user, for development and for testing clients.")
public final class TokenCommand implements Callable<Integer>
{
    @Option(names = "--user", required = true, description = "User id (the token's sub), a positive integer.")
    long userId;

    @Option(names = "--secret", description = "HS256 secret, at least 32 bytes; also read from XIN_JWT_SECRET.",
        defaultValue = "${env:XIN_JWT_SECRET}", required = true)
    String secret;

    @Option(names = "--ttl-seconds", description = "Lifetime of the token (default: ${DEFAULT-VALUE}).")
    long ttlSeconds = 24 * 3600;

    @Override
    public Integer call()
    {
        System.out.println(new TokenIssuer(secret).issue(userId, Duration.ofSeconds(ttlSeconds)));
        return 0;
    }
}
