// Entry point of the batch-native Kafka addon (issue 15): BatchConsumer, BatchProducer and
// the librdkafka version they run on (the one node-rdkafka built).
#include "common.h"
#include "consumer.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("BatchConsumer", tsn::DefineBatchConsumer(env));
  exports.Set("BatchProducer", tsn::DefineBatchProducer(env));
  exports.Set("librdkafkaVersion", Napi::String::New(env, rd_kafka_version_str()));
  return exports;
}

NODE_API_MODULE(tickstream_native, Init)
