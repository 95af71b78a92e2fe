/// The event id a signed webhook's items get when they name none: the `webhook-id`, so a
/// redelivery of the same message is a duplicate (the sender keeps the id across retries).
///
/// One item gets the id as it is; each item of several gets `<webhook-id>-<index>` (0-based, its
/// place in the array, as in error messages), so the items stay apart and each is recognised again.
public enum WebhookEventID {
    public static func id(forItem index: Int, of count: Int, webhookID: String) -> String {
        count == 1 ? webhookID : "\(webhookID)-\(index)"
    }
}
