import HTTPTypes
import HeraldAPI
import Hummingbird
import NIOCore

extension HTTPField.Name {
    static let warning: HTTPField.Name = {
        // "Warning" is a valid token, so this cannot fail.
        guard let name = HTTPField.Name("Warning") else { preconditionFailure("invalid header name") }
        return name
    }()
}

extension Response {
    /// A text body, as the API server's plain answers and the operations endpoints send them.
    public static func plainText(
        _ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

enum Responses {
    static let jsonType = "application/json"

    static func json(
        _ value: JSON, status: HTTPResponse.Status = .ok, contentType: String = jsonType,
        warnings: [String] = []
    ) -> Response {
        var bytes = value.serialized()
        bytes.append(0x0A)
        var headers: HTTPFields = [.contentType: contentType]
        for w in warnings {
            headers.append(HTTPField(name: .warning, value: "299 - \(JSON.string(w).serializedString())"))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ e: APIError) -> Response {
        json(e.status, status: HTTPResponse.Status(code: e.code))
    }
}
