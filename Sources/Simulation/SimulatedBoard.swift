import FlashKit
import Foundation
import Recovery

/// The slots of a simulated board: flash areas over the board's NOR models, from a layout.
public struct BoardSlots: SlotMap {
    public typealias Area = FlashArea<NORFlashModel>
    /// `areas[image][slot]`.
    let areas: [[Area?]]

    public var imageCount: Int { areas.count }

    public func area(image: Int, slot: Int) -> Area? {
        guard image >= 0, image < areas.count, slot >= 0, slot < areas[image].count else { return nil }
        return areas[image][slot]
    }
}

/// Why a board could not be built from its descriptors.
public struct SimulationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A simulated board: its flash devices (strict NOR models, optionally kept in files) and the
/// recovery server running on them behind the console framing.
///
/// `reset()` is what `os reset` does on hardware: RAM state (the upload in progress, a partial
/// frame) is lost, flash is kept, and the serial link stays.
public final class SimulatedBoard {
    public let board: BoardDescription
    public let layout: PartitionLayout
    /// Flash devices by name (`internal`, later `external`).
    public let devices: [String: NORFlashModel]
    public let slots: BoardSlots
    public private(set) var link: SerialRecoveryLink<BoardSlots>
    /// Number of resets since the simulator started.
    public private(set) var resetCount = 0

    /// Builds the board. With `stateDirectory`, each flash device is the raw file
    /// `<dir>/<device>.bin` (created erased when absent), so flash survives a restart.
    public init(
        board: BoardDescription, layout: PartitionLayout, configuration: RecoveryConfiguration,
        stateDirectory: String? = nil
    ) throws(SimulationError) {
        var devices: [String: NORFlashModel] = [:]
        for device in board.flash {
            do {
                if let stateDirectory {
                    try? FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
                    devices[device.name] = try NORFlashModel(
                        size: device.size, eraseSize: device.eraseSize, writeSize: device.writeSize,
                        erasedValue: device.erasedValue, backingFile: "\(stateDirectory)/\(device.name).bin")
                } else {
                    devices[device.name] = try NORFlashModel(
                        size: device.size, eraseSize: device.eraseSize, writeSize: device.writeSize,
                        erasedValue: device.erasedValue)
                }
            } catch {
                throw SimulationError("flash device '\(device.name)': \(error)")
            }
        }
        let imageCount = layout.imageCount
        guard imageCount > 0 else {
            throw SimulationError("layout '\(layout.name)' has no mcuboot_primary partition")
        }
        var areas: [[BoardSlots.Area?]] = []
        for image in 0..<imageCount {
            var row: [BoardSlots.Area?] = []
            for slot in 0..<2 {
                guard let partition = layout.slot(image: image, slot: slot) else {
                    row.append(nil)
                    continue
                }
                guard let description = board.device(forRegion: partition.region),
                    let model = devices[description.name]
                else {
                    throw SimulationError(
                        "partition \(partition.name): region '\(partition.region)' is on no flash device of board \(board.name)")
                }
                do {
                    row.append(try FlashArea(device: model, offset: partition.address, size: partition.size))
                } catch {
                    let why = error == .misaligned
                        ? "is not aligned to the \(description.eraseSize)-byte sectors of \(description.name)"
                        : "does not fit in \(description.name) (\(description.size) bytes)"
                    throw SimulationError(
                        "partition \(partition.name) (0x\(String(partition.address, radix: 16))+0x\(String(partition.size, radix: 16))) \(why)")
                }
            }
            areas.append(row)
        }
        self.board = board
        self.layout = layout
        self.devices = devices
        self.slots = BoardSlots(areas: areas)
        self.link = SerialRecoveryLink(server: RecoveryServer(slots: slots, configuration: configuration))
    }

    /// Feeds bytes received on the console UART; see ``SerialRecoveryLink/receive(_:transmit:observe:)``.
    public func receive(
        _ bytes: [UInt8], transmit: (UnsafeRawBufferPointer) -> Void, observe: (LinkEvent) -> Void = { _ in }
    ) -> RecoveryAction {
        bytes.withUnsafeBytes { link.receive($0, transmit: transmit, observe: observe) }
    }

    /// Resets the board: RAM state is lost, flash is kept.
    public func reset() {
        link.reboot()
        for device in devices.values { try? device.sync() }
        resetCount += 1
    }

    /// The model of the device holding `partition`.
    public func device(for partition: Partition) -> NORFlashModel? {
        board.device(forRegion: partition.region).flatMap { devices[$0.name] }
    }
}
