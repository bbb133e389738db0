// The retention function (seeds 002 and 003): run by an EventBridge schedule, it deletes or anonymizes, in bounded
// batches, what has outlived its retention period, as of the schedule event's `time`. See README.md; the code is the
// Retention library's (Sources/Retention).
import Retention

RetentionHandler.main()
