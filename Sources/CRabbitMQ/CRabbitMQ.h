#ifndef HERALD_CRABBITMQ_H
#define HERALD_CRABBITMQ_H

// rabbitmq-c 0.12+ installs its headers under rabbitmq-c/; Debian 12 ships 0.11 with them at the top level.
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/framing.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#endif

#endif
