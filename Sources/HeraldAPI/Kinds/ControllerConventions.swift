/// Names the controller and the API server both rely on, kept here so neither imports the other.
public enum ControllerConventions {
    /// The store lease the leading controller holds and renews.
    public static let leaseName = "herald-controller"
    /// Held by every Notification the controller knows of, so deleting one waits until the
    /// controller has canceled its pending deliveries.
    public static let notificationFinalizer = "herald.dev/cancel"
}
