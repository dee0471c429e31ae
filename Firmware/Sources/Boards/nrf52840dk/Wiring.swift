// The wiring of the nrf52840dk's boot stage and sample application: this SoC's addresses and the values
// of BoardConfig.swift (generated from Boards/nrf52840dk/board.yml and Layouts/nrf52840dk.yml). One file for
// both: the sample application's folder links to it.
#if hasFeature(Embedded)
import NRF
import NRFBoard

/// A function: Swift 6 forbids shared mutable globals.
func boardWiring() -> NRFBoardWiring {
    NRFBoardWiring(
        name: "nrf52840dk", uarteBase: 0x4000_2000,
        consoleTX: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
        consoleRX: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin),
        buttonPort: BoardConfig.buttonPort == 0 ? .nrf52840P0 : .nrf52840P1,
        buttonPin: BoardConfig.buttonPin, buttonActiveLow: BoardConfig.buttonActiveLow, buttonPullUp: BoardConfig.buttonPullUp,
        gpregret: BoardConfig.gpregret, nvmc: .nrf52840,
        primary: (BoardConfig.primaryOffset, BoardConfig.primarySize),
        secondary: (BoardConfig.secondaryOffset, BoardConfig.secondarySize))
}
#endif
