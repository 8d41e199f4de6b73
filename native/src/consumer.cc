// BatchConsumer: a librdkafka high-level consumer that hands JS one batch of messages as one
// buffer plus typed arrays, consumed on a libuv worker thread. Rebalances (eager protocol)
// are queued as events for JS, which calls assign()/unassign() itself after its recovery,
// as the sink does with node-rdkafka.
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "common.h"
#include "consumer.h"

namespace tsn {

namespace {

struct RebalanceEvent {
  std::string kind;  // "assign" | "revoke" | "error"
  std::vector<TopicPartition> partitions;
  KafkaError error;
};

// A consumed batch, built on the worker thread, turned into JS values on the JS thread.
struct Batch {
  size_t count = 0;
  uint8_t* data = nullptr;  // keys and values back to back; owned until handed to a Buffer
  size_t size = 0;
  std::vector<int32_t> partition, keyStart, keyLen, valueStart, valueLen;
  std::vector<double> offset, timestamp;
  ~Batch() { free(data); }
};

template <typename T, typename A>
A CopyArray(Napi::Env env, const std::vector<T>& v) {
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, v.size() * sizeof(T));
  if (!v.empty()) memcpy(ab.Data(), v.data(), v.size() * sizeof(T));
  return A::New(env, v.size(), ab, 0);
}

// A commit sent with rd_kafka_commit_queue: its outcome arrives through the consumer queue,
// i.e. while consumeBatch (or close) polls, and is settled on the JS thread after that.
struct PendingCommit {
  explicit PendingCommit(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  void* owner = nullptr;  // the consumer, as its ClientBase
  Napi::ObjectReference keep;  // the consumer stays alive while its commit is pending
  bool done = false;  // under BatchConsumer::commitsMu_
  KafkaError error;
  std::vector<TopicPartition> result;
};

}  // namespace

class BatchConsumer : public Napi::ObjectWrap<BatchConsumer>, public ClientBase {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BatchConsumer(const Napi::CallbackInfo& info);
  ~BatchConsumer() override;

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  std::string topic_;
  std::atomic<bool> closing_{false};
  bool closed_ = false;
  bool consuming_ = false;  // JS thread only
  int inflight_ = 0;        // JS thread only: workers holding rk_
  std::mutex eventsMu_;
  std::vector<RebalanceEvent> events_;
  std::mutex commitsMu_;
  std::vector<PendingCommit*> commits_;  // sent, not yet settled in JS

  // JS thread: settles the commits whose outcome arrived (all of them once closed).
  void SettleCommits(bool all) {
    std::vector<PendingCommit*> ready;
    {
      std::lock_guard<std::mutex> lock(commitsMu_);
      for (auto it = commits_.begin(); it != commits_.end();) {
        if ((*it)->done || all) {
          ready.push_back(*it);
          it = commits_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (PendingCommit* pc : ready) {
      Napi::Env env = pc->deferred.Env();
      if (!pc->done) pc->deferred.Reject(ToJsError(env, FromErr(RD_KAFKA_RESP_ERR__DESTROY, "consumer closed before the commit was answered")).Value());
      else if (pc->error.code) pc->deferred.Reject(ToJsError(env, pc->error).Value());
      else pc->deferred.Resolve(ToJsPartitions(env, pc->result));
      delete pc;
    }
  }

  std::vector<RebalanceEvent> TakeEvents() {
    std::lock_guard<std::mutex> lock(eventsMu_);
    std::vector<RebalanceEvent> out;
    out.swap(events_);
    return out;
  }

 private:
  bool Usable(Napi::Env env);
  Napi::Value Subscribe(const Napi::CallbackInfo& info);
  Napi::Value ConsumeBatch(const Napi::CallbackInfo& info);
  Napi::Value Assign(const Napi::CallbackInfo& info);
  Napi::Value Unassign(const Napi::CallbackInfo& info);
  Napi::Value Assignment(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Commit(const Napi::CallbackInfo& info);
  Napi::Value Committed(const Napi::CallbackInfo& info);
  Napi::Value QueryWatermarkOffsets(const Napi::CallbackInfo& info);
  Napi::Value TakeErrors(const Napi::CallbackInfo& info);
  Napi::Value TakeLogsJs(const Napi::CallbackInfo& info) { return TakeLogs(info.Env(), this); }
  Napi::Value TakeStatsJs(const Napi::CallbackInfo& info) { return TakeStats(info.Env(), this); }
  Napi::Value Close(const Napi::CallbackInfo& info);
};

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

class ConsumerWorker : public PromiseWorker {
 public:
  explicit ConsumerWorker(BatchConsumer* c) : PromiseWorker(c->Env()), c_(c), ref_(Napi::Persistent(c->Value())) { c_->inflight_++; }
  ~ConsumerWorker() override { c_->inflight_--; }
 protected:
  BatchConsumer* c_;
  Napi::ObjectReference ref_;  // keeps the consumer alive while the worker uses rk_
};

class ConsumeWorker : public ConsumerWorker {
 public:
  ConsumeWorker(BatchConsumer* c, int max, int timeoutMs) : ConsumerWorker(c), max_(max), timeoutMs_(timeoutMs) { c->consuming_ = true; }
  ~ConsumeWorker() override { c_->consuming_ = false; }
  void Execute() override {
    std::vector<rd_kafka_message_t*> msgs(max_);
    ssize_t n = rd_kafka_consume_batch_queue(c_->queue_, timeoutMs_, msgs.data(), max_);
    if (n < 0) return Fail(FromErr(rd_kafka_last_error()));
    size_t total = 0;
    for (ssize_t i = 0; i < n; i++) {
      if (!msgs[i]->err) total += msgs[i]->key_len + msgs[i]->len;
    }
    b_.data = static_cast<uint8_t*>(malloc(total > 0 ? total : 1));
    size_t pos = 0;
    for (ssize_t i = 0; i < n; i++) {
      rd_kafka_message_t* m = msgs[i];
      if (m->err) {
        // Consumer errors (topic authorization, unknown partition, ...) go where error_cb's go.
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) c_->errors.Push(FromErr(m->err, rd_kafka_message_errstr(m)));
        rd_kafka_message_destroy(m);
        continue;
      }
      b_.partition.push_back(m->partition);
      b_.offset.push_back(static_cast<double>(m->offset));
      rd_kafka_timestamp_type_t tstype;
      b_.timestamp.push_back(static_cast<double>(rd_kafka_message_timestamp(m, &tstype)));
      b_.keyStart.push_back(static_cast<int32_t>(pos));
      if (m->key) {
        memcpy(b_.data + pos, m->key, m->key_len);
        pos += m->key_len;
        b_.keyLen.push_back(static_cast<int32_t>(m->key_len));
      } else {
        b_.keyLen.push_back(-1);
      }
      b_.valueStart.push_back(static_cast<int32_t>(pos));
      if (m->payload) {
        memcpy(b_.data + pos, m->payload, m->len);
        pos += m->len;
        b_.valueLen.push_back(static_cast<int32_t>(m->len));
      } else {
        b_.valueLen.push_back(-1);
      }
      rd_kafka_message_destroy(m);
    }
    b_.count = b_.partition.size();
    b_.size = pos;
  }
  void OnOK() override {
    if (RejectIfFailed()) return;
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("count", static_cast<double>(b_.count));
    uint8_t* data = b_.data;
    b_.data = nullptr;
    out.Set("data", Napi::Buffer<uint8_t>::New(env, data, b_.size, [](Napi::Env, uint8_t* p) { free(p); }));
    out.Set("partition", CopyArray<int32_t, Napi::Int32Array>(env, b_.partition));
    out.Set("offset", CopyArray<double, Napi::Float64Array>(env, b_.offset));
    out.Set("timestamp", CopyArray<double, Napi::Float64Array>(env, b_.timestamp));
    out.Set("keyStart", CopyArray<int32_t, Napi::Int32Array>(env, b_.keyStart));
    out.Set("keyLen", CopyArray<int32_t, Napi::Int32Array>(env, b_.keyLen));
    out.Set("valueStart", CopyArray<int32_t, Napi::Int32Array>(env, b_.valueStart));
    out.Set("valueLen", CopyArray<int32_t, Napi::Int32Array>(env, b_.valueLen));
    std::vector<RebalanceEvent> events = c_->TakeEvents();
    Napi::Array evs = Napi::Array::New(env, events.size());
    for (size_t i = 0; i < events.size(); i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("kind", events[i].kind);
      e.Set("partitions", ToJsPartitions(env, events[i].partitions));
      if (events[i].kind == "error") e.Set("error", ToJsErrorObject(env, events[i].error));
      evs.Set(i, e);
    }
    out.Set("events", evs);
    c_->SettleCommits(false);
    deferred_.Resolve(out);
  }
 private:
  int max_, timeoutMs_;
  Batch b_;
};

// commit (sync within the worker), committed and watermark queries.
class PartitionsWorker : public ConsumerWorker {
 public:
  enum Op { COMMITTED };
  PartitionsWorker(BatchConsumer* c, Op op, std::vector<TopicPartition> parts, int timeoutMs)
      : ConsumerWorker(c), op_(op), parts_(std::move(parts)), timeoutMs_(timeoutMs) {}
  void Execute() override {
    rd_kafka_topic_partition_list_t* list = ToList(parts_);
    rd_kafka_resp_err_t err = rd_kafka_committed(c_->rk_, list, timeoutMs_);
    parts_ = FromList(list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) Fail(FromErr(err));
  }
  void OnOK() override {
    if (!RejectIfFailed()) deferred_.Resolve(ToJsPartitions(Env(), parts_));
  }
 private:
  Op op_;
  std::vector<TopicPartition> parts_;
  int timeoutMs_;
};

class WatermarkWorker : public ConsumerWorker {
 public:
  WatermarkWorker(BatchConsumer* c, std::string topic, int32_t partition, int timeoutMs)
      : ConsumerWorker(c), topic_(std::move(topic)), partition_(partition), timeoutMs_(timeoutMs) {}
  void Execute() override {
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(c_->rk_, topic_.c_str(), partition_, &low_, &high_, timeoutMs_);
    if (err) Fail(FromErr(err));
  }
  void OnOK() override {
    if (RejectIfFailed()) return;
    Napi::Object o = Napi::Object::New(Env());
    o.Set("low", static_cast<double>(low_));
    o.Set("high", static_cast<double>(high_));
    deferred_.Resolve(o);
  }
 private:
  std::string topic_;
  int32_t partition_;
  int timeoutMs_;
  int64_t low_ = -1, high_ = -1;
};

class CloseWorker : public ConsumerWorker {
 public:
  explicit CloseWorker(BatchConsumer* c) : ConsumerWorker(c) {}
  void OnError(const Napi::Error& e) override {
    c_->SettleCommits(true);
    PromiseWorker::OnError(e);
  }
  void Execute() override {
    // Leaves the group: the revoke is answered by OnRebalance (closing_ is set).
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(c_->rk_);
    rd_kafka_queue_destroy(c_->queue_);
    rd_kafka_destroy(c_->rk_);
    c_->queue_ = nullptr;
    c_->rk_ = nullptr;
    if (err) Fail(FromErr(err));
  }
  void OnOK() override {
    c_->SettleCommits(true);
    if (!RejectIfFailed()) deferred_.Resolve(Env().Undefined());
  }
};

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

static bool IntArg(const Napi::CallbackInfo& info, size_t i, const char* what, int lo, int hi, int& out) {
  Napi::Value v = info[i];
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1e300;
  if (!(d >= lo && d <= hi) || static_cast<double>(static_cast<int>(d)) != d) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi))
        .ThrowAsJavaScriptException();
    return false;
  }
  out = static_cast<int>(d);
  return true;
}

Napi::Value BatchConsumer::ConsumeBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  int max = 0, timeoutMs = 0;
  if (!IntArg(info, 0, "consumeBatch: max", 1, 1000000, max) || !IntArg(info, 1, "consumeBatch: timeoutMs", 0, 3600000, timeoutMs)) return env.Undefined();
  if (consuming_) {
    Napi::Error::New(env, "consumeBatch: a batch is already being consumed; await it first").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* w = new ConsumeWorker(this, max, timeoutMs);
  w->Queue();
  return w->Promise();
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

Napi::Value BatchConsumer::Committed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  std::vector<TopicPartition> parts;
  int timeoutMs = 0;
  if (!ReadPartitions(info[0], topic_, false, parts) || !IntArg(info, 1, "committed: timeoutMs", 0, 3600000, timeoutMs)) return env.Undefined();
  auto* w = new PartitionsWorker(this, PartitionsWorker::COMMITTED, std::move(parts), timeoutMs);
  w->Queue();
  return w->Promise();
}

Napi::Value BatchConsumer::QueryWatermarkOffsets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "queryWatermarkOffsets: topic must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int partition = 0, timeoutMs = 0;
  if (!IntArg(info, 1, "queryWatermarkOffsets: partition", 0, INT32_MAX, partition) ||
      !IntArg(info, 2, "queryWatermarkOffsets: timeoutMs", 0, 3600000, timeoutMs))
    return env.Undefined();
  auto* w = new WatermarkWorker(this, info[0].As<Napi::String>(), partition, timeoutMs);
  w->Queue();
  return w->Promise();
}

Napi::Value BatchConsumer::TakeErrors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<KafkaError> errs = errors.Take();
  Napi::Array arr = Napi::Array::New(env, errs.size());
  for (size_t i = 0; i < errs.size(); i++) arr.Set(i, ToJsErrorObject(env, errs[i]));
  return arr;
}

Napi::Value BatchConsumer::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  if (inflight_ > 0) {
    Napi::Error::New(env, "close: consumeBatch, commit or a query is still in progress; await it first").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  closing_ = true;
  auto* w = new CloseWorker(this);
  w->Queue();
  return w->Promise();
}

Napi::Function DefineBatchConsumer(Napi::Env env) { return BatchConsumer::Define(env); }

}  // namespace tsn
