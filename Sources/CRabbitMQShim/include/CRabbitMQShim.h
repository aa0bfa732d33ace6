#ifndef HERALD_CRABBITMQ_SHIM_H
#define HERALD_CRABBITMQ_SHIM_H

// Same selection as Sources/CRabbitMQ/CRabbitMQ.h (a C target cannot see a system library's headers).
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#else
#include <amqp.h>
#endif

// Swift cannot call C variadic functions, and amqp_login/amqp_login_with_properties take the
// SASL credentials as varargs. These wrappers fix the mechanism to PLAIN so Swift can call them
// with ordinary arguments.

amqp_rpc_reply_t herald_amqp_login(amqp_connection_state_t state,
                                   const char *vhost,
                                   int channel_max,
                                   int frame_max,
                                   int heartbeat,
                                   const char *user,
                                   const char *password);

// client_properties shows up in `rabbitmqctl list_connections client_properties` and the
// management UI (for example connection_name), which is how operators tell connections apart.
amqp_rpc_reply_t herald_amqp_login_with_properties(amqp_connection_state_t state,
                                                   const char *vhost,
                                                   int channel_max,
                                                   int frame_max,
                                                   int heartbeat,
                                                   const amqp_table_t *client_properties,
                                                   const char *user,
                                                   const char *password);

#endif
