/**
 * Sessions: the per-connection handler ({@code SessionHandler}, a thin Netty adapter holding the connection's
 * state) and {@code Session}, and the stateless rules every session follows, one of each per switch: the login
 * checks, a send's admission, the routing of the other requests, the idle and park deadlines; and the frames the
 * switch sends.
 */
package io.xin.core.session;
