/**
 * The dispatcher thread: the registry of online devices, acknowledgements and pushes. Below the session layer, which
 * it asks for the login answer and the closed-session overflow ({@link io.xin.core.dispatch.Dispatcher.Sessions}).
 */
package io.xin.core.dispatch;
