/// Where an ``Emulator`` is in its life.
enum EmulatorPhase: Sendable {
    case idle
    case starting
    case running(port: Int)
    case stopping
    case stopped
}
