// BatchConsumer: a librdkafka high-level consumer that hands JS one batch of messages as one
// buffer plus typed arrays, consumed on a libuv worker thread. Rebalances (eager protocol)
// are queued as events for JS, which calls assign()/unassign() itself after its recovery,
// as the sink does with node-rdkafka.
//
// This file: the class's set-up and teardown, its librdkafka callbacks and its synchronous
// methods; the libuv workers and the methods that queue them are in consumer_workers.cc.
#include "batch_consumer.h"
#include "common.h"
#include "consumer.h"

namespace tsn {

// Runs on the thread that polls (a consume worker, or close): never touches JS.
static void OnCommit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  auto* pc = static_cast<PendingCommit*>(opaque);
  // pc stays in commits_ until JS settles it; `done` is read under the same mutex there.
  BatchConsumer* self = static_cast<BatchConsumer*>(static_cast<ClientBase*>(pc->owner));
  std::lock_guard<std::mutex> lock(self->commitsMu_);
  pc->result = FromList(offsets);
  if (err) pc->error = FromErr(err);
  pc->done = true;
}

static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* self = static_cast<BatchConsumer*>(static_cast<ClientBase*>(opaque));
  if (self->closing_) {
    // Closing: no JS loop will answer; librdkafka waits for the (un)assign call.
    rd_kafka_assign(rk, nullptr);
    return;
  }
  RebalanceEvent ev;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) ev.kind = "assign";
  else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) ev.kind = "revoke";
  else {
    // librdkafka's rule for a failed rebalance: drop the assignment.
    ev.kind = "error";
    ev.error = FromErr(err);
    rd_kafka_assign(rk, nullptr);
  }
  ev.partitions = FromList(parts);
  {
    std::lock_guard<std::mutex> lock(self->eventsMu_);
    self->events_.push_back(std::move(ev));
  }
  // End the batch under way: JS must see the event before more messages.
  rd_kafka_yield(rk);
}

Napi::Function BatchConsumer::Define(Napi::Env env) {
  return DefineClass(env, "BatchConsumer",
                     {InstanceMethod("subscribe", &BatchConsumer::Subscribe),
                      InstanceMethod("consumeBatch", &BatchConsumer::ConsumeBatch),
                      InstanceMethod("assign", &BatchConsumer::Assign),
                      InstanceMethod("unassign", &BatchConsumer::Unassign),
                      InstanceMethod("assignment", &BatchConsumer::Assignment),
                      InstanceMethod("pause", &BatchConsumer::Pause),
                      InstanceMethod("resume", &BatchConsumer::Resume),
                      InstanceMethod("commit", &BatchConsumer::Commit),
                      InstanceMethod("committed", &BatchConsumer::Committed),
                      InstanceMethod("queryWatermarkOffsets", &BatchConsumer::QueryWatermarkOffsets),
                      InstanceMethod("takeErrors", &BatchConsumer::TakeErrors), InstanceMethod("takeLogs", &BatchConsumer::TakeLogsJs), InstanceMethod("takeStats", &BatchConsumer::TakeStatsJs),
                      InstanceMethod("close", &BatchConsumer::Close)});
}

BatchConsumer::BatchConsumer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BatchConsumer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    Napi::TypeError::New(env, "BatchConsumer: expected a config object of string values").ThrowAsJavaScriptException();
    return;
  }
  rd_kafka_conf_t* conf = BuildConf(info[0].As<Napi::Object>());
  if (!conf) return;
  SetCommonCallbacks(conf, static_cast<ClientBase*>(this));
  rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);  // owns conf on success
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    Napi::Error::New(env, std::string("BatchConsumer: ") + errstr).ThrowAsJavaScriptException();
    return;
  }
  // Errors and rebalances are served by the consumer queue, i.e. by consumeBatch.
  rd_kafka_poll_set_consumer(rk_);
  queue_ = rd_kafka_queue_get_consumer(rk_);
}

BatchConsumer::~BatchConsumer() {
  if (!rk_) return;
  // Collected without close(): no worker holds it (they keep a reference), so destroy
  // without leaving the group politely (that would block the JS thread).
  closing_ = true;
  rd_kafka_queue_destroy(queue_);
  rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

bool BatchConsumer::Usable(Napi::Env env) {
  if (rk_ && !closing_) return true;
  Napi::Error::New(env, "BatchConsumer is closed").ThrowAsJavaScriptException();
  return false;
}

Napi::Value BatchConsumer::Subscribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  if (!info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty()) {
    Napi::TypeError::New(env, "subscribe: expected a topic name").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  topic_ = info[0].As<Napi::String>();
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) ToJsError(env, FromErr(err)).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value BatchConsumer::Assign(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  std::vector<TopicPartition> parts;
  if (!ReadPartitions(info[0], topic_, false, parts)) return env.Undefined();
  auto* list = ToList(parts);
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) ToJsError(env, FromErr(err)).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value BatchConsumer::Unassign(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_, nullptr);
  if (err) ToJsError(env, FromErr(err)).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value BatchConsumer::Assignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  rd_kafka_topic_partition_list_t* list = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(rk_, &list);
  if (err) {
    ToJsError(env, FromErr(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<TopicPartition> parts = FromList(list);
  rd_kafka_topic_partition_list_destroy(list);
  return ToJsPartitions(env, parts);
}

static Napi::Value PauseResume(BatchConsumer* c, const Napi::CallbackInfo& info, bool pause) {
  Napi::Env env = info.Env();
  std::vector<TopicPartition> parts;
  if (!ReadPartitions(info[0], c->topic_, false, parts)) return env.Undefined();
  auto* list = ToList(parts);
  rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(c->rk_, list) : rd_kafka_resume_partitions(c->rk_, list);
  parts = FromList(list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) ToJsError(env, FromErr(err)).ThrowAsJavaScriptException();
  return ToJsPartitions(env, parts);
}

Napi::Value BatchConsumer::Pause(const Napi::CallbackInfo& info) {
  return Usable(info.Env()) ? PauseResume(this, info, true) : info.Env().Undefined();
}

Napi::Value BatchConsumer::Resume(const Napi::CallbackInfo& info) {
  return Usable(info.Env()) ? PauseResume(this, info, false) : info.Env().Undefined();
}

Napi::Value BatchConsumer::Commit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  std::vector<TopicPartition> parts;
  if (!ReadPartitions(info[0], topic_, true, parts)) return env.Undefined();
  // Never a blocking commit: with no coordinator it would hold a libuv thread until one
  // answers (the sink's issue 20). The outcome comes back through the consumer queue.
  auto* pc = new PendingCommit(env);
  pc->owner = static_cast<ClientBase*>(this);
  pc->keep = Napi::Persistent(Value());
  Napi::Promise promise = pc->deferred.Promise();
  auto* list = ToList(parts);
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(rk_, list, queue_, OnCommit, pc);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) {
    pc->deferred.Reject(ToJsError(env, FromErr(err)).Value());
    delete pc;
    return promise;
  }
  std::lock_guard<std::mutex> lock(commitsMu_);
  commits_.push_back(pc);
  return promise;
}

Napi::Value BatchConsumer::TakeErrors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<KafkaError> errs = errors.Take();
  Napi::Array arr = Napi::Array::New(env, errs.size());
  for (size_t i = 0; i < errs.size(); i++) arr.Set(i, ToJsErrorObject(env, errs[i]));
  return arr;
}

Napi::Function DefineBatchConsumer(Napi::Env env) { return BatchConsumer::Define(env); }

}  // namespace tsn
