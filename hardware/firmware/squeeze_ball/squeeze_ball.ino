// Squeeze Quest ball firmware: force sensor + MPU-6050, 200 lines a second.
// Protocol: hardware/firmware/PROTOCOL.md. Pick the force sensor below.
//
//   FORCE_FSR       FSR in a voltage divider on A0 (10 k to ground)
//   FORCE_HX711     load cell through an HX711 (DOUT pin 3, SCK pin 2)
//   FORCE_PRESSURE  air-pressure sensor (e.g. MPX5010 / XGZP6847) on A0
#define FORCE_FSR
#define HAS_MPU6050 1      // 0 if the ball has no motion sensor
#define RATE_HZ 200
#define FW_VERSION "1.0.0"

#include <Wire.h>

const uint8_t MPU = 0x68;
const uint8_t HX_DOUT = 3, HX_SCK = 2;
uint32_t seq = 0;
uint32_t nextDue = 0;
const uint32_t PERIOD_US = 1000000UL / RATE_HZ;

// CRC-16/XMODEM (poly 0x1021, init 0): what the game checks every line with.
uint16_t crc16(const char *s, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    crc ^= (uint16_t)(uint8_t)s[i] << 8;
    for (uint8_t b = 0; b < 8; b++) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  return crc;
}

void sendLine(const char *body) {
  char tail[8];
  snprintf(tail, sizeof tail, "*%04X", crc16(body, strlen(body)));
  Serial.print(body);
  Serial.println(tail);
}

#ifdef FORCE_HX711
long readHx711() {
  while (digitalRead(HX_DOUT)) {}  // ready at 80 Hz (RATE pin high); the last value repeats between
  long v = 0;
  for (uint8_t i = 0; i < 24; i++) {
    digitalWrite(HX_SCK, HIGH);
    v = (v << 1) | digitalRead(HX_DOUT);
    digitalWrite(HX_SCK, LOW);
  }
  digitalWrite(HX_SCK, HIGH);  // gain 128, channel A
  digitalWrite(HX_SCK, LOW);
  if (v & 0x800000) v |= 0xFF000000;  // sign-extend 24 bits
  return v;
}
#endif

long readForce() {
#ifdef FORCE_HX711
  static long last = 0;
  if (!digitalRead(HX_DOUT)) last = readHx711();
  return last;
#else
  // Average 4 readings: less ADC noise, still far above the 10 Hz that matters.
  long s = 0;
  for (uint8_t i = 0; i < 4; i++) s += analogRead(A0);
  return s / 4;
#endif
}

void readGyro(float g[3]) {
  Wire.beginTransmission(MPU);
  Wire.write(0x43);  // GYRO_XOUT_H
  Wire.endTransmission(false);
  Wire.requestFrom(MPU, (uint8_t)6);
  for (uint8_t i = 0; i < 3; i++) {
    int16_t raw = (Wire.read() << 8) | Wire.read();
    g[i] = raw / 131.0;  // +-250 deg/s range: 131 counts per deg/s
  }
}

void setup() {
  Serial.begin(115200);
#ifdef FORCE_HX711
  pinMode(HX_SCK, OUTPUT);
  pinMode(HX_DOUT, INPUT);
  const char *sensor = "hx711";
#elif defined(FORCE_PRESSURE)
  const char *sensor = "pressure";
#else
  const char *sensor = "fsr";
#endif
#if HAS_MPU6050
  Wire.begin();
  Wire.setClock(400000);
  Wire.beginTransmission(MPU);
  Wire.write(0x6B);  // PWR_MGMT_1: wake up
  Wire.write(0);
  Wire.endTransmission();
  const char *imu = "mpu6050";
#else
  const char *imu = "none";
#endif
  char info[96];
  snprintf(info, sizeof info, "I,squeeze-ball,%s,proto=1,force=%s,imu=%s,hz=%d", FW_VERSION, sensor, imu, RATE_HZ);
  sendLine(info);
  nextDue = micros();
}

void loop() {
  if ((int32_t)(micros() - nextDue) < 0) return;
  nextDue += PERIOD_US;
  char body[80];
  long f = readForce();
#if HAS_MPU6050
  float g[3];
  readGyro(g);
  char gx[10], gy[10], gz[10];
  dtostrf(g[0], 1, 1, gx);  // AVR printf has no %f
  dtostrf(g[1], 1, 1, gy);
  dtostrf(g[2], 1, 1, gz);
  snprintf(body, sizeof body, "D,%lu,%lu,%ld,%s,%s,%s", seq++, millis(), f, gx, gy, gz);
#else
  snprintf(body, sizeof body, "D,%lu,%lu,%ld", seq++, millis(), f);
#endif
  sendLine(body);
}
