/**
 * Media on the switch's side: upload tickets, the check and stamping of a message's media reference, download URLs,
 * and the capabilities ({@code MediaRef.access_token}) and keys behind them. The bytes go to the media store through
 * the media HTTP server, never through the switch; every store call runs on the media threads, never on a session's
 * event loop or a journal thread. Used by the session layer.
 */
package io.xin.core.media;
