/// The body of one message on a `herald.jobs.<type>` queue: one job object, or an array of jobs
/// of the same type and priority (the controller packs the jobs it publishes together; see
/// `MessagePack`). Each element is a `DeliveryJob` document exactly as architecture.md
/// describes it; a worker sends, reports and is acknowledged for each on its own terms.
public enum JobMessage {
    /// One message body carrying `encodedJobs` (each `DeliveryJob.encoded()`).
    public static func body(_ encodedJobs: [[UInt8]]) -> [UInt8] { MessagePack.body(encodedJobs) }

    /// The jobs of one message, each decoded on its own with its JSON (to dead-letter a bad one
    /// as it came); an element's error names its index.
    /// - Throws: when the body is not JSON, or neither an object nor an array.
    public static func decode(_ bytes: some Collection<UInt8>) throws(JobDecodingError)
        -> [(json: JSON, value: Result<DeliveryJob, JobDecodingError>)]
    {
        try MessagePack.decode(bytes, what: "a job") { (json) throws(JobDecodingError) in try DeliveryJob(json: json) }
    }
}
