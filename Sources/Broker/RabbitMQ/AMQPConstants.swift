internal import CRabbitMQ

// librabbitmq defines these as macros with casts, which Swift does not import.

enum AMQPMethod {
    static let connectionClose: amqp_method_number_t = 0x000A_0032
    static let connectionCloseOk: amqp_method_number_t = 0x000A_0033
    static let connectionBlocked: amqp_method_number_t = 0x000A_003C
    static let connectionUnblocked: amqp_method_number_t = 0x000A_003D
    static let channelClose: amqp_method_number_t = 0x0014_0028
    static let channelCloseOk: amqp_method_number_t = 0x0014_0029
    static let basicCancel: amqp_method_number_t = 0x003C_001E
    static let basicCancelOk: amqp_method_number_t = 0x003C_001F
    static let basicReturn: amqp_method_number_t = 0x003C_0032
    static let basicDeliver: amqp_method_number_t = 0x003C_003C
    static let basicAck: amqp_method_number_t = 0x003C_0050
    static let basicNack: amqp_method_number_t = 0x003C_0078
}

enum AMQPFrameType {
    static let method: UInt8 = 1
    static let header: UInt8 = 2
    static let body: UInt8 = 3
    static let heartbeat: UInt8 = 8
}

enum AMQPPropertyFlag {
    static let contentType: amqp_flags_t = 1 << 15
    static let headers: amqp_flags_t = 1 << 13
    static let deliveryMode: amqp_flags_t = 1 << 12
    static let priority: amqp_flags_t = 1 << 11
    static let correlationID: amqp_flags_t = 1 << 10
    static let messageID: amqp_flags_t = 1 << 7
    static let timestamp: amqp_flags_t = 1 << 6
}

enum AMQPReplyCode {
    static let success: Int32 = 200
    static let notFound: UInt16 = 404
    static let accessRefused: UInt16 = 403
    static let preconditionFailed: UInt16 = 406
}

/// Field kinds of AMQP tables (librabbitmq's amqp_field_value_kind_t, as the bytes on the wire).
enum AMQPFieldKind {
    static let boolean = UInt8(ascii: "t")
    static let int8 = UInt8(ascii: "b")
    static let uint8 = UInt8(ascii: "B")
    static let int16 = UInt8(ascii: "s")
    static let uint16 = UInt8(ascii: "u")
    static let int32 = UInt8(ascii: "I")
    static let uint32 = UInt8(ascii: "i")
    static let int64 = UInt8(ascii: "l")
    static let uint64 = UInt8(ascii: "L")
    static let utf8 = UInt8(ascii: "S")
    static let bytes = UInt8(ascii: "x")
    static let array = UInt8(ascii: "A")
    static let timestamp = UInt8(ascii: "T")
}
