/**
 * Admission and abuse defences that sit in front of the session state machine: per-session send
 * rate limits, per-address connection and failed-login limits, and bans of devices that log in
 * in a tight loop. Each check is a value the event loop acts on (an error frame, a refused
 * connection); nothing here blocks or starts a thread.
 */
package io.xin.core.guard;
