#include "CRabbitMQShim.h"

amqp_rpc_reply_t herald_amqp_login(amqp_connection_state_t state,
                                   const char *vhost,
                                   int channel_max,
                                   int frame_max,
                                   int heartbeat,
                                   const char *user,
                                   const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat,
                      AMQP_SASL_METHOD_PLAIN, user, password);
}

amqp_rpc_reply_t herald_amqp_login_with_properties(amqp_connection_state_t state,
                                                   const char *vhost,
                                                   int channel_max,
                                                   int frame_max,
                                                   int heartbeat,
                                                   const amqp_table_t *client_properties,
                                                   const char *user,
                                                   const char *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat,
                                      client_properties, AMQP_SASL_METHOD_PLAIN, user, password);
}
