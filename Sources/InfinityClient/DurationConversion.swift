extension Duration {
    /// The span in seconds as a floating-point number.
    var seconds: Double { self / .seconds(1) }
}
